import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("CANDOR_SHARED") or Path(__file__).resolve().parents[2] / "shared")
CORPUS = SHARED / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert CORPUS.is_dir(), f"the shared corpus is expected at {CORPUS} (set CANDOR_SHARED)"
    return CORPUS

# A real PostgreSQL server for the database tests; .ci/run starts one and sets this.
POSTGRES_URL = os.environ.get("CANDOR_TEST_POSTGRES_URL", "")
if os.environ.get("CI") and not POSTGRES_URL:
    raise RuntimeError("CI must provide CANDOR_TEST_POSTGRES_URL: the database tests run on "
                       "PostgreSQL as well as SQLite")
DATABASES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path) -> str:
    """A database with no Candor tables: a fresh SQLite file, or the test PostgreSQL emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'candor.db'}"
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(POSTGRES_URL)
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()
    return POSTGRES_URL
