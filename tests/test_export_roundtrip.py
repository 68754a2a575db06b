"""Round trip on every XLSX and DOCX of the corpus: fill with known answers, re-read, and check
that only the answer and comment slots changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.controls import load_knowledge_base
from service.export import ExportResult
from service.ingest import Questionnaire, parse
from service.settings import KNOWLEDGE_DIR

from .conftest import CORPUS
from .roundtrip import (
    assert_docx_round_trip,
    assert_libreoffice_opens,
    assert_xlsx_round_trip,
    fill,
    read_back,
)


def _files(kind: str) -> list[Path]:
    return sorted((CORPUS / kind).glob(f"*.{kind}")) if CORPUS.is_dir() else []


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base(KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def export(kb, tmp_path_factory):
    """Each corpus file filled once per test run: source -> (questionnaire, result, output)."""
    folder = tmp_path_factory.mktemp("filled")
    done: dict[Path, tuple[Questionnaire, ExportResult, Path]] = {}

    def make(source: Path) -> tuple[Questionnaire, ExportResult, Path]:
        if source not in done:
            out = folder / f"{source.stem}_filled{source.suffix}"
            done[source] = (*fill(source, out, kb), out)
        return done[source]

    return make


@pytest.mark.parametrize("source", _files("xlsx"), ids=lambda p: p.name)
def test_xlsx_round_trip(source: Path, export) -> None:
    questionnaire, result, out = export(source)
    assert_xlsx_round_trip(source, questionnaire, result, out)


@pytest.mark.parametrize("source", _files("docx"), ids=lambda p: p.name)
def test_docx_round_trip(source: Path, export) -> None:
    _, result, out = export(source)
    assert_docx_round_trip(source, result, out)
    # re-ingest: what it still finds at a written slot holds the value written
    slots = read_back(parse(out))
    found = [w for w in result.written if w.location in slots and w.role == "answer"]
    assert found
    wrong = [w for w in found if slots[w.location][1] != w.text]
    assert not wrong, [(w.ref, str(w.location), w.text, slots[w.location]) for w in wrong]


@pytest.mark.parametrize("source", _files("docx"), ids=lambda p: p.name)
def test_docx_reingest_finds_every_filled_slot(source: Path, export) -> None:
    _, result, out = export(source)
    slots = read_back(parse(out))
    lost = [w for w in result.written if slots.get(w.location, ("", None))[1] != w.text]
    assert not lost, f"{len(lost)} of {len(result.written)} slots not read back"


def test_filled_files_open_in_libreoffice(tmp_path: Path, export) -> None:
    """Every filled corpus workbook and document converts to PDF in LibreOffice."""
    assert_libreoffice_opens([export(source)[2] for source in _files("xlsx") + _files("docx")],
                             tmp_path)
