import itertools
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("CANDOR_SHARED") or Path(__file__).resolve().parents[2] / "shared")
CORPUS = SHARED / "corpus"


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def kb():
    from service.controls import load_knowledge_base
    from service.settings import KNOWLEDGE_DIR

    return load_knowledge_base(KNOWLEDGE_DIR)


@pytest.fixture(scope="session")
def company(kb):
    from service.controls import SAMPLE_PROFILE, load_company
    from service.settings import KNOWLEDGE_DIR

    return load_company(KNOWLEDGE_DIR / SAMPLE_PROFILE, kb)


@pytest.fixture(scope="session")
def matcher(kb, company, tmp_path_factory):
    """One matcher (model and index loaded once) for every test that matches questions."""
    from service.matching import Matcher

    return Matcher(kb, company, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert CORPUS.is_dir(), f"the shared corpus is expected at {CORPUS} (set CANDOR_SHARED)"
    return CORPUS


# A real PostgreSQL server: every test that uses a database runs on SQLite and on it.
# .ci/run starts one and sets this to a database whose role may create databases.
POSTGRES_URL = os.environ.get("CANDOR_TEST_POSTGRES_URL", "")
if os.environ.get("CI") and not POSTGRES_URL:
    raise RuntimeError("CI must provide CANDOR_TEST_POSTGRES_URL: the database tests run on "
                       "PostgreSQL as well as SQLite")
DATABASES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
_database_numbers = itertools.count(1)


class FreshDatabase:
    """An empty database of one kind: a new SQLite file, or a new PostgreSQL database created
    beside the test one (so tests never see each other's rows) and dropped afterwards."""

    def __init__(self, kind: str, directory: Path) -> None:
        self.kind = kind
        if kind == "sqlite":
            self.url = f"sqlite:///{directory / 'candor.db'}"
            return
        from sqlalchemy.engine import make_url

        self.name = f"candor_test_{os.getpid()}_{next(_database_numbers)}"
        self.url = make_url(POSTGRES_URL).set(database=self.name).render_as_string(
            hide_password=False)
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                    f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @staticmethod
    def _admin(*statements: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for one test, on each database kind in turn."""
    database = FreshDatabase(request.param, tmp_path)
    yield database.url
    database.drop()
