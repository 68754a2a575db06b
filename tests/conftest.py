import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("CANDOR_SHARED") or Path(__file__).resolve().parents[2] / "shared")
CORPUS = SHARED / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    assert CORPUS.is_dir(), f"the shared corpus is expected at {CORPUS} (set CANDOR_SHARED)"
    return CORPUS
