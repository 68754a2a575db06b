"""Export rules on small hand-made inputs: slot planning, formula injection, XLSX cell and row
insertion, CSV in place, PDF side-cars, the answer report, output paths and the CLI."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

from service.answering import Answer, Citation
from service.cli import main
from service.controls import load_knowledge_base
from service.export import ExportError, export_filled, filled_path, neutralise
from service.export.files import write_atomic
from service.export.plan import plan_writes
from service.ingest import Location, Question, Questionnaire, parse
from service.settings import KNOWLEDGE_DIR

from .roundtrip import answered_with, docx_slots
from .test_ingest_docx import controls_document, forms_document, numbered_document

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base(KNOWLEDGE_DIR)


def _question(ref: str, location: Location, options: tuple[str, ...] = (),
              comment: Location | None = None, formula: bool = False) -> Question:
    return Question(ref=ref, text=f"Question {ref}?", section="", answer_type="text",
                    options=options, question_location=location, answer_location=location,
                    comment_location=comment, answer_formula=formula)


def _cell(reference: str, sheet: str = "Answers") -> Location:
    return Location(kind="cell", sheet=sheet, cell=reference)


def _with_answers(questionnaire: Questionnaire, *answers: Answer):
    answered = answered_with(questionnaire)
    for i, answer in enumerate(answers):
        answered.answers[i] = replace(answered.answers[i], answer=answer)
    return answered


@pytest.mark.parametrize("text", ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_formula_like_text_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text


def test_plain_text_is_kept_and_unwritable_characters_dropped() -> None:
    assert neutralise("Yes, annually") == "Yes, annually"
    assert neutralise("a\x00b\x1fc") == "abc"


def test_plan_writes_only_what_fits_the_slot() -> None:
    questionnaire = Questionnaire("xlsx", [
        _question("A", _cell("B2"), ("Yes", "No"), comment=_cell("C2")),
        _question("B", _cell("B3"), ("Yes", "No")),
        _question("C", _cell("B4")),
        _question("D", _cell("B5"), formula=True),
        _question("E", _cell("B2")),
    ])
    answered = _with_answers(
        questionnaire,
        Answer("yes", "=cmd|' /C calc'!A0", 0.9, "auto", "control"),
        Answer("Partially", "", 0.9, "auto", "control"),
        Answer("", "Needs review. Closest controls: X", 0.2, "needs_review", "none"),
        Answer("Yes", "", 0.9, "auto", "control"),
        Answer("Another", "", 0.9, "auto", "control"),
    )
    writes, not_written = plan_writes(answered)
    assert [(w.ref, w.role, w.text) for w in writes] == [
        ("A", "answer", "Yes"), ("A", "comment", "'=cmd|' /C calc'!A0")]
    assert {(n.ref, n.reason) for n in not_written} == {
        ("B", "'Partially' is not one of the slot's options"),
        ("C", "needs review, no answer"),
        ("D", "formula cell, not overwritten"),
        ("E", "slot already written"),
    }


def _workbook(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Answers"
    sheet["A1"], sheet["B1"], sheet["D1"] = "Question", "Answer", "Total"
    sheet["A2"], sheet["C2"] = "Encrypted?", "note"
    sheet["B4"] = "=1+1"
    sheet["A6"] = "Last"
    validation = DataValidation(type="list", formula1='"Yes,No"', sqref="B2:B9")
    sheet.add_data_validation(validation)
    sheet.merge_cells("A8:D8")
    book.save(path)


def test_xlsx_cells_and_rows_are_created_in_order(tmp_path: Path, kb) -> None:
    source = tmp_path / "book.xlsx"
    _workbook(source)
    questionnaire = Questionnaire("xlsx", [
        _question("new-cell", _cell("B2")),  # between A2 and C2
        _question("new-row", _cell("B5")),  # between rows 4 and 6
        _question("formula", _cell("B4")),  # a formula ingest did not flag
        _question("end", _cell("E7")),  # after the last row
    ])
    out = tmp_path / "filled.xlsx"
    result = export_filled(answered_with(questionnaire), source.read_bytes(), out, kb)
    assert [n.ref for n in result.formula_cells] == ["formula"]
    sheet = load_workbook(out)["Answers"]
    assert sheet["B2"].value == "Candor test answer new-cell"
    assert sheet["B5"].value == "Candor test answer new-row"
    assert sheet["E7"].value == "Candor test answer end"
    assert sheet["B4"].value == "=1+1"
    assert sheet["C2"].value == "note" and sheet["A6"].value == "Last"
    with zipfile.ZipFile(out) as archive:
        root = etree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    rows = [int(r.get("r")) for r in root.iter(f"{_MAIN}row")]
    assert rows == sorted(rows)
    for row in root.iter(f"{_MAIN}row"):
        columns = [c.get("r").rstrip("0123456789") for c in row.iter(f"{_MAIN}c")]
        assert columns == sorted(columns, key=lambda c: (len(c), c))
    assert len(list(root.iter(f"{_MAIN}dataValidation"))) == 1
    assert len(list(root.iter(f"{_MAIN}mergeCell"))) == 1


def test_csv_is_filled_in_place(corpus: Path, tmp_path: Path, kb) -> None:
    source = next((corpus / "csv").glob("*.csv"))
    questionnaire = parse(source)
    out = filled_path(source, tmp_path)
    result = export_filled(answered_with(questionnaire), source.read_bytes(), out, kb)
    assert out.read_bytes()[:3] == source.read_bytes()[:3]  # the byte-order mark stays
    again = {q.answer_location: q.existing_answer for q in parse(out).questions}
    answers = [w for w in result.written if w.role == "answer"]
    assert answers and all(again[w.location] == w.text for w in answers)
    written = {(w.location.row, w.location.column) for w in result.written}

    def records(path: Path) -> list[list[str]]:
        return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))

    for r, (old, new) in enumerate(zip(records(source), records(out), strict=True), start=1):
        for c, value in enumerate(old, start=1):
            if (r, c) not in written:
                assert new[c - 1] == value


def test_pdf_gets_side_cars_and_report(tmp_path: Path, kb) -> None:
    page = Location(kind="page", page=1, box=(0, 0, 100, 10))
    questionnaire = Questionnaire("pdf", [
        _question("P-1", page, ("Yes", "No")),
        _question("P-2", replace(page, page=2)),
    ])
    control = next(iter(kb.controls.values()))
    answered = _with_answers(
        questionnaire,
        Answer("Yes", "Encrypted at rest.", 0.95, "auto", "control"),
        Answer("", "Needs review.", 0.3, "needs_review", "none"),
    )
    answered.answers[0] = replace(answered.answers[0],
                                  citations=(Citation("control", control.id, control.title),))
    out = tmp_path / "form_filled.pdf"
    result = export_filled(answered, b"%PDF-1.7", out, kb, report=True)
    sidecar_xlsx, sidecar_docx, report = result.paths
    assert (sidecar_xlsx.name, sidecar_docx.name) == ("form_filled.xlsx", "form_filled.docx")
    rows = list(load_workbook(sidecar_xlsx).active.iter_rows(values_only=True))
    assert rows[0] == ("ID", "Question", "Answer", "Comment")
    assert rows[1:] == [("P-1", "Question P-1?", "Yes", "Encrypted at rest."),
                        ("P-2", "Question P-2?", None, None)]
    assert docx.Document(str(sidecar_docx)).tables[0].rows[1].cells[2].text == "Yes"
    sheet = load_workbook(report).active
    header = [c.value for c in sheet[1]]
    assert header[:7] == ["ID", "Question", "Answer", "Comment", "Status", "Confidence",
                          "Controls"]
    assert {"SOC 2", "HIPAA", "GDPR", "Evidence cited"} <= set(header)
    assert sheet["G2"].value == control.id
    assert sheet["E3"].value == "needs review"
    assert sheet["A3"].fill.fgColor.rgb.endswith("FFF2CC")  # needs review highlighted
    assert sheet["A2"].fill.fill_type is None


def test_output_path_defaults_and_refuses_the_input(tmp_path: Path) -> None:
    source = tmp_path / "q.xlsx"
    source.write_bytes(b"x")
    assert filled_path(source) == tmp_path / "q_filled.xlsx"
    folder = tmp_path / "out"
    folder.mkdir()
    assert filled_path(source, folder) == folder / "q_filled.xlsx"
    with pytest.raises(ExportError):
        filled_path(source, tmp_path / "." / "q.xlsx")


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "filled.xlsx"

    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_atomic(target, b"data")
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_to_overwrite_the_input(tmp_path: Path, capsys) -> None:
    source = tmp_path / "q.xlsx"
    source.write_bytes(b"x")
    assert main(["answer", str(source), "--out", str(source)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("candor: refusing to overwrite") and "\n" not in error


@pytest.mark.parametrize("build", [numbered_document, controls_document, forms_document],
                         ids=lambda b: b.__name__)
def test_docx_controls_round_trip(build, tmp_path: Path, kb) -> None:
    """Checkboxes (legacy and w14, one line or option lines), list and text content controls
    read back through re-ingest; paragraphs, blanks and nested-table cells, which ingest no
    longer calls slots once filled, read back through ingest's reader at the same place."""
    source = build()
    questionnaire = parse(source)
    answered = answered_with(questionnaire)
    for i, item in enumerate(answered.answers):  # a value that differs from what is there
        options = item.question.options
        value = next((o for o in options if o != item.question.existing_answer), None)
        if value is not None:
            answered.answers[i] = replace(item, answer=replace(item.answer, value=value))
    out = tmp_path / "filled.docx"
    result = export_filled(answered, source, out, kb)
    again = {q.answer_location: q.existing_answer for q in parse(out).questions}
    places = docx_slots(out.read_bytes())
    answers = [w for w in result.written if w.role == "answer"]
    assert answers and not [n for n in result.not_written if n.role == "answer"]
    for write in answers:
        if write.location.control in ("checkbox", "content_control"):
            assert again.get(write.location) == write.text, write.ref
        elif write.location.control == "placeholder":
            text = places[replace(write.location, control=None, index=None)]
            assert write.text in text and "___" not in text, write.ref
        else:
            assert places[write.location] == write.text, write.ref
