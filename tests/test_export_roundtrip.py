"""Round trip on every XLSX and DOCX of the corpus: fill with known answers, re-read, and check
that only the answer and comment slots changed."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from service.answering import Answer, AnsweredQuestion, AnsweredQuestionnaire
from service.controls import load_knowledge_base
from service.export import ExportResult, export_filled
from service.ingest import DEFAULT_LIMITS, Location, Questionnaire, parse
from service.ingest import docx as ingest_docx
from service.ingest.xlsx import _sheet_parts
from service.matching.matcher import QuestionMatch
from service.matching.understanding import Understanding
from service.settings import KNOWLEDGE_DIR

from .conftest import CORPUS

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_X14_VALIDATION = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}dataValidation"
_SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
_NO_MATCH = QuestionMatch((), 0.0, None, None, Understanding("positive", ()))


def answered_with(questionnaire: Questionnaire) -> AnsweredQuestionnaire:
    """A known answer per question: its last option, or a text naming its ref; a comment."""
    answers = [
        AnsweredQuestion(
            q,
            Answer(q.options[-1] if q.options else f"Candor test answer {q.ref}",
                   f"Candor test comment {q.ref}", 0.9, "auto", "control"),
            _NO_MATCH, (), None)
        for q in questionnaire.questions
    ]
    return AnsweredQuestionnaire(questionnaire, answers)


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
            questionnaire = parse(source)
            out = folder / f"{source.stem}_filled{source.suffix}"
            result = export_filled(answered_with(questionnaire), source.read_bytes(), out, kb)
            assert result.paths == [out]
            assert result.written, "nothing was written"
            done[source] = questionnaire, result, out
        return done[source]

    return make


def _read_back(questionnaire: Questionnaire) -> dict[Location, tuple[str, str | None]]:
    """Slot -> (ref, value) as ingest reads them."""
    slots: dict[Location, tuple[str, str | None]] = {}
    for q in questionnaire.questions:
        slots[q.answer_location] = (q.ref, q.existing_answer)
        if q.comment_location is not None:
            slots[q.comment_location] = (q.ref, q.existing_comment)
    return slots


# --------------------------------------------------------------------------------------------
# XLSX


def _sheet_xml(data: bytes, parts: set[str]) -> dict[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: etree.fromstring(archive.read(part), etree.XMLParser(huge_tree=True))
                for name, (part, _) in _sheet_parts(archive).items() if part in parts}


def _cells(sheet: etree._Element) -> dict[str, etree._Element]:
    return {c.get("r", ""): c for c in sheet.iter(f"{_MAIN}c")}


def _counts(sheet: etree._Element) -> tuple[int, int, int]:
    return (len(list(sheet.iter(f"{_MAIN}dataValidation"))), len(list(sheet.iter(_X14_VALIDATION))),
            len(list(sheet.iter(f"{_MAIN}mergeCell"))))


def _without(sheet: etree._Element, cells: set[str], rows: set[str]) -> bytes:
    """The sheet without the given cells, the given (new) rows and the rows' `spans` hint."""
    for cell in [c for c in sheet.iter(f"{_MAIN}c") if c.get("r") in cells]:
        cell.getparent().remove(cell)
    for row in list(sheet.iter(f"{_MAIN}row")):
        row.attrib.pop("spans", None)
        if row.get("r") in rows:
            assert len(row) == 0, f"row {row.get('r')} was added with more than answers"
            row.getparent().remove(row)
    return etree.tostring(sheet)


def _column(reference: str) -> int:
    return column_index_from_string(coordinate_from_string(reference)[0])


@pytest.mark.parametrize("source", _files("xlsx"), ids=lambda p: p.name)
def test_xlsx_round_trip(source: Path, export) -> None:
    questionnaire, result, out = export(source)
    original, filled = source.read_bytes(), out.read_bytes()

    # every part but the sheets written into is byte for byte the original
    with zipfile.ZipFile(source) as before, zipfile.ZipFile(out) as after:
        assert [i.filename for i in before.infolist()] == [i.filename for i in after.infolist()]
        changed = {n for n in before.namelist() if before.read(n) != after.read(n)}
        parts = {name: part for name, (part, _) in _sheet_parts(before).items()}
    assert changed == {parts[w.location.sheet or ""] for w in result.written}
    # in those sheets only the written cells changed, and kept their style
    old_sheets, new_sheets = _sheet_xml(original, changed), _sheet_xml(filled, changed)
    for name, old in old_sheets.items():
        new = new_sheets[name]
        assert _counts(old) == _counts(new), f"{name}: validations or merges changed"
        written = {w.location.cell or "" for w in result.written if w.location.sheet == name}
        old_cells, new_cells = _cells(old), _cells(new)
        for ref in written & old_cells.keys():
            assert new_cells[ref].get("s") == old_cells[ref].get("s"), f"{name}!{ref} restyled"
        old_rows = {r.get("r") for r in old.iter(f"{_MAIN}row")}
        new_rows = {r.get("r") for r in new.iter(f"{_MAIN}row")} - old_rows
        assert _without(old, written, set()) == _without(new, written, new_rows), name

    # formula slots are reported, never written
    formulas = {str(q.answer_location) for q in questionnaire.questions if q.answer_formula}
    assert {n.location for n in result.formula_cells} == formulas
    assert not any(str(w.location) in formulas for w in result.written)

    # re-ingesting gives back what was written, at the same refs
    slots = _read_back(parse(out))
    wrong = [w for w in result.written if slots.get(w.location) != (w.ref, w.text)]
    assert not wrong, [(w.ref, str(w.location), w.text, slots.get(w.location)) for w in wrong]


# --------------------------------------------------------------------------------------------
# DOCX


def docx_slots(data: bytes) -> dict[Location, str | None]:
    """Every cell, paragraph and control group read with ingest's own reader and numbering,
    whether or not ingest would call it a question once filled."""
    document, styles = ingest_docx._load(data)
    body = document.find(ingest_docx._w("body"))
    numbers = {t: i for i, t in enumerate(body.iter(ingest_docx._TBL))}
    reader = ingest_docx._Document(ingest_docx._read_styles(styles), numbers, DEFAULT_LIMITS)
    slots: dict[Location, str | None] = {}

    def content(location: Location, found) -> None:
        slots[location] = found.text
        for group in found.groups:
            slots[replace(location, control=group.control, index=group.index)] = group.value

    def table(found) -> None:
        for row in found.rows:
            for cell in row:
                if not cell.covered:
                    content(cell.location, cell.content)
        for nested in found.nested:
            table(nested)

    for item in reader.body(body):
        if isinstance(item, ingest_docx._Paragraph):
            content(item.location, item.content)
        else:
            table(item)
    return slots


def _text_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("source", _files("docx"), ids=lambda p: p.name)
def test_docx_round_trip(source: Path, export) -> None:
    _, result, out = export(source)
    before, after = _text_parts(source.read_bytes()), _text_parts(out.read_bytes())
    assert list(before) == list(after)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["word/document.xml"]

    old, new = docx_slots(source.read_bytes()), docx_slots(out.read_bytes())
    written = {w.location: w for w in result.written}
    # every slot written reads back as written (a label's own cell: after the label)
    for location, write in written.items():
        value = new.get(location) or ""
        if write.location.control == "checkbox" and len(write.options) > 1:
            continue  # checked below through re-ingest
        expected = f"{old.get(location) or ''}\n{write.text}".strip() if \
            write.after_label or (old.get(location) or "").endswith(":") else write.text
        assert value == expected, (write.ref, str(location), value)
    # every other cell, paragraph and control is unchanged, but for the boxes of a choice's
    # later options, which run on into the next cells of the same table
    run_on = {w.location.table for w in written.values() if w.location.control == "checkbox"}
    for location, value in old.items():
        if location in written or (location.control == "checkbox" and location.table in run_on):
            continue
        assert new.get(location) == value, str(location)

    # re-ingest: what it still finds at a written slot holds the value written
    slots = _read_back(parse(out))
    found = [w for w in result.written if w.location in slots and w.role == "answer"]
    assert found
    wrong = [w for w in found if slots[w.location][1] != w.text]
    assert not wrong, [(w.ref, str(w.location), w.text, slots[w.location]) for w in wrong]


@pytest.mark.parametrize("source", _files("docx"), ids=lambda p: p.name)
def test_docx_reingest_finds_every_filled_slot(source: Path, export) -> None:
    _, result, out = export(source)
    slots = _read_back(parse(out))
    lost = [w for w in result.written if slots.get(w.location, ("", None))[1] != w.text]
    assert not lost, f"{len(lost)} of {len(result.written)} slots not read back"


# --------------------------------------------------------------------------------------------
# The filled files still open


def test_filled_files_open_in_libreoffice(tmp_path: Path, export) -> None:
    """Every filled corpus workbook and document converts to PDF in LibreOffice: a full load
    and render (`.ci/run` installs it)."""
    assert _SOFFICE, "LibreOffice (soffice) is needed to prove filled files still open"
    sources = _files("xlsx") + _files("docx")
    outputs = [export(source)[2] for source in sources]
    converted = tmp_path / "converted"
    subprocess.run(
        [_SOFFICE, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "pdf", "--outdir", str(converted), *map(str, outputs)],
        check=True, capture_output=True, timeout=300)
    for output in outputs:
        pdf = converted / f"{output.stem}.pdf"
        assert pdf.is_file() and pdf.stat().st_size > 1000, f"{output.name} did not open"
