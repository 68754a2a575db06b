"""Reading in a child process: the same questions as in-process, and a read that outgrows its
memory, CPU or time budget ends in one line, the child killed, the caller unharmed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from service.ingest import IngestError, parse
from service.ingest.isolated import Budget, parse_isolated, run_isolated

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
