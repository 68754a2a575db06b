"""Fill a questionnaire with known answers, read it back and check that nothing but the answer and
comment slots changed: the checks every round-trip test (corpus files and built layouts) shares."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

from lxml import etree
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from service.answering import Answer, AnsweredQuestion, AnsweredQuestionnaire
from service.controls import KnowledgeBase
from service.export import ExportResult, Write, export_filled
from service.export.plan import MARK, marked
from service.ingest import Location, Questionnaire, parse
from service.ingest.docx_model import Content, Paragraph, Table, read_body
from service.ingest.ooxml import sheet_parts
from service.matching.matcher import QuestionMatch
from service.matching.understanding import Understanding

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
X14_VALIDATION = "{http://schemas.microsoft.com/office/spreadsheetml/2009/9/main}dataValidation"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
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


def fill(source: Path, out: Path, kb: KnowledgeBase) -> tuple[Questionnaire, ExportResult]:
    """`source` read and filled with `answered_with` answers into `out`."""
    questionnaire = parse(source)
    result = export_filled(answered_with(questionnaire), source.read_bytes(), out, kb)
    assert result.paths == [out]
    assert result.written, "nothing was written"
    return questionnaire, result


def read_back(questionnaire: Questionnaire) -> dict[Location, tuple[str, str | None]]:
    """Slot -> (ref, value) as ingest reads them."""
    slots: dict[Location, tuple[str, str | None]] = {}
    for q in questionnaire.questions:
        slots[q.answer_location] = (q.ref, q.existing_answer)
        if q.comment_location is not None:
            slots[q.comment_location] = (q.ref, q.existing_comment)
    return slots


def assert_reads_back(result: ExportResult, out: Path) -> None:
    """Re-ingesting the filled file gives back every value written, at the same refs."""
    slots = read_back(parse(out))
    wrong = [w for w in result.written if slots.get(w.location) != (w.ref, w.text)]
    assert not wrong, [(w.ref, str(w.location), w.text, slots.get(w.location)) for w in wrong]


# --------------------------------------------------------------------------------------------
# XLSX


def _sheet_xml(data: bytes, parts: set[str]) -> dict[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: etree.fromstring(archive.read(part), etree.XMLParser(huge_tree=True))
                for name, (part, _) in sheet_parts(archive).items() if part in parts}


def _cells(sheet: etree._Element) -> dict[str, etree._Element]:
    return {c.get("r", ""): c for c in sheet.iter(f"{MAIN}c")}


def _counts(sheet: etree._Element) -> tuple[int, int, int]:
    return (len(list(sheet.iter(f"{MAIN}dataValidation"))), len(list(sheet.iter(X14_VALIDATION))),
            len(list(sheet.iter(f"{MAIN}mergeCell"))))


def _without(sheet: etree._Element, cells: set[str], rows: set[str]) -> bytes:
    """The sheet without the given cells, the given (new) rows and the rows' `spans` hint."""
    for cell in [c for c in sheet.iter(f"{MAIN}c") if c.get("r") in cells]:
        cell.getparent().remove(cell)
    for row in list(sheet.iter(f"{MAIN}row")):
        row.attrib.pop("spans", None)
        if row.get("r") in rows:
            assert len(row) == 0, f"row {row.get('r')} was added with more than answers"
            row.getparent().remove(row)
    return etree.tostring(sheet)


def _cells_written(write: Write) -> list[str]:
    """The cells a write may change: its slot, or for a mark slot every option's column."""
    if write.location.control != "mark":
        return [write.location.cell or ""]
    letters, row = coordinate_from_string(write.location.cell or "")
    first = column_index_from_string(letters)
    return [f"{get_column_letter(first + i)}{row}" for i in range(len(write.options))]


def mark_cells(write: Write) -> list[tuple[Location, bool]]:
    """A mark write's option cells in a Word table, each with whether it gets the mark."""
    location = replace(write.location, control=None)
    return [(replace(location, column=(location.column or 0) + i), chosen)
            for i, chosen in enumerate(marked(write.options, write.text))]


def assert_xlsx_round_trip(source: Path, questionnaire: Questionnaire, result: ExportResult,
                           out: Path) -> None:
    original, filled = source.read_bytes(), out.read_bytes()
    # every part but the sheets written into is byte for byte the original
    with zipfile.ZipFile(source) as before, zipfile.ZipFile(out) as after:
        assert [i.filename for i in before.infolist()] == [i.filename for i in after.infolist()]
        changed = {n for n in before.namelist() if before.read(n) != after.read(n)}
        parts = {name: part for name, (part, _) in sheet_parts(before).items()}
    assert changed == {parts[w.location.sheet or ""] for w in result.written}
    # in those sheets only the written cells changed, and kept their style
    old_sheets, new_sheets = _sheet_xml(original, changed), _sheet_xml(filled, changed)
    for name, old in old_sheets.items():
        new = new_sheets[name]
        assert _counts(old) == _counts(new), f"{name}: validations or merges changed"
        written = {cell for w in result.written if w.location.sheet == name
                   for cell in _cells_written(w)}
        old_cells, new_cells = _cells(old), _cells(new)
        for ref in written & old_cells.keys():
            assert new_cells[ref].get("s") == old_cells[ref].get("s"), f"{name}!{ref} restyled"
        old_rows = {r.get("r") for r in old.iter(f"{MAIN}row")}
        new_rows = {r.get("r") for r in new.iter(f"{MAIN}row")} - old_rows
        assert _without(old, written, set()) == _without(new, written, new_rows), name

    # formula slots are reported, never written
    formulas = {str(q.answer_location) for q in questionnaire.questions if q.answer_formula}
    assert {n.location for n in result.formula_cells} == formulas
    assert not any(str(w.location) in formulas for w in result.written)
    assert_reads_back(result, out)


# --------------------------------------------------------------------------------------------
# DOCX


def docx_slots(data: bytes) -> dict[Location, str | None]:
    """Every cell, paragraph and control group read with ingest's own reader and numbering,
    whether or not ingest would call it a question once filled."""
    slots: dict[Location, str | None] = {}

    def content(location: Location, found: Content) -> None:
        slots[location] = found.text
        for group in found.groups:
            slots[replace(location, control=group.control, index=group.index)] = group.value

    def table(found: Table) -> None:
        for row in found.rows:
            for cell in row:
                if not cell.covered:
                    content(cell.location, cell.content)
        for nested in found.nested:
            table(nested)

    for item in read_body(data):
        if isinstance(item, Paragraph):
            content(item.location, item.content)
        else:
            table(item)
    return slots


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def assert_docx_round_trip(source: Path, result: ExportResult, out: Path) -> None:
    before, after = _parts(source.read_bytes()), _parts(out.read_bytes())
    assert list(before) == list(after)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["word/document.xml"]

    old, new = docx_slots(source.read_bytes()), docx_slots(out.read_bytes())
    written = {w.location: w for w in result.written}
    # a mark slot: the mark in the chosen option's cell only
    marks = {cell: chosen for w in written.values() if w.location.control == "mark"
             for cell, chosen in mark_cells(w)}
    for cell, chosen in marks.items():
        assert new.get(cell) == (MARK if chosen else ""), str(cell)
    written = {location: w for location, w in written.items() if location.control != "mark"}
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
        if location in written or location in marks or \
                (location.control == "checkbox" and location.table in run_on):
            continue
        assert new.get(location) == value, str(location)


# --------------------------------------------------------------------------------------------
# Every filled file still opens


def assert_libreoffice_opens(outputs: list[Path], work: Path) -> None:
    """Each file converts to PDF in LibreOffice: a full load and render (`.ci/run` installs
    it)."""
    assert SOFFICE, "LibreOffice (soffice) is needed to prove filled files still open"
    converted = work / "converted"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{work}/profile", "--headless",
         "--convert-to", "pdf", "--outdir", str(converted), *map(str, outputs)],
        check=True, capture_output=True, timeout=300)
    for output in outputs:
        pdf = converted / f"{output.stem}.pdf"
        assert pdf.is_file() and pdf.stat().st_size > 1000, f"{output.name} did not open"
