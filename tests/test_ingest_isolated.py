"""Reading in a child process: the same questions as in-process, and a read that outgrows its
memory, CPU or time budget ends in one line, the child killed, the caller unharmed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.ingest import IngestError, parse
from service.ingest.isolated import Budget, parse_isolated, run_isolated, start_method
from service.settings import REPO_ROOT

SAMPLE = REPO_ROOT / "samples" / "northwind_vendor_security_assessment.xlsx"
SMALL = Budget(memory_bytes=512 * 2**20, cpu_seconds=1, wall_seconds=5)


def _hoard() -> bytes:
    return b"x" * (1024 * 2**20)


def _spin() -> None:
    while True:
        pass


def _sleep() -> None:
    time.sleep(60)


def _bug() -> None:
    raise KeyError("a parser bug\nover two lines")


def _one_line(function, *args, budget: Budget = SMALL) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(IngestError) as caught:
        run_isolated(function, *args, budget=budget)
    message = str(caught.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


def test_the_same_questions_as_in_process(corpus: Path) -> None:
    data = (corpus / "xlsx/HECVAT_Lite_v3.04_CanvasStudio_filled.xlsx").read_bytes()
    assert parse_isolated(data, "lite.xlsx") == parse(data, "lite.xlsx")


def test_the_file_s_own_fault_is_its_ingest_error() -> None:
    with pytest.raises(IngestError, match="the file is empty"):
        parse_isolated(b"")


def test_a_read_over_its_budget_is_stopped_with_one_line() -> None:
    assert "more than 512 MiB of memory" in _one_line(_hoard)
    began = time.monotonic()
    assert "more than 1 s of CPU" in _one_line(_spin)
    assert "longer than 0.5 s" in _one_line(_sleep, budget=Budget(wall_seconds=0.5))
    assert time.monotonic() - began < 10
    assert _one_line(_bug) == ("the file could not be read (KeyError: "
                               "'a parser bug\\nover two lines')")


def test_a_deep_temporary_directory_spawns_children_instead(tmp_path: Path) -> None:
    assert start_method("/tmp") == "forkserver"
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    assert start_method(str(deep)) == "spawn"  # a forkserver socket there would not bind
    run = subprocess.run(
        [sys.executable, "-c", "from service.ingest.isolated import parse_isolated; "
         "print(len(parse_isolated(open(__import__('sys').argv[1], 'rb').read()).questions))",
         str(SAMPLE)], env={**os.environ, "TMPDIR": str(deep)}, capture_output=True, text=True,
        timeout=120)
    assert (run.returncode, run.stdout.strip(), run.stderr) == (0, "30", "")
