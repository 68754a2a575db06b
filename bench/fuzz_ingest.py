"""The ingest fuzz test, long: random mutations, many examples per format.

    .venv/bin/python bench/fuzz_ingest.py [EXAMPLES_PER_FORMAT]
"""

from __future__ import annotations

import os
import sys

import pytest

if __name__ == "__main__":
    os.environ["CANDOR_FUZZ_EXAMPLES"] = sys.argv[1] if len(sys.argv) > 1 else "500"
    raise SystemExit(pytest.main(["tests/test_ingest_fuzz.py", "-q", "-W", "ignore"]))
