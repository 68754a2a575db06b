"""Mark columns: "Yes | No | N/A" (or "Compliant | Partially compliant | Not compliant") as columns
of their own, where the respondent puts an "x" in the column of the answer, in a workbook, a CSV
file and a Word table; and several response columns per question (an answer, an ownership list,
an implementation description) under a title row."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from service.answering import Answer
from service.export.plan import NEEDS_REVIEW_NO_MARK, plan_answers
from service.ingest import Location, parse

from .roundtrip import (
    assert_docx_round_trip,
    assert_libreoffice_opens,
    assert_reads_back,
    assert_xlsx_round_trip,
    fill,
)


def cell(sheet: str, reference: str, **control: object) -> Location:
    return Location(kind="cell", sheet=sheet, cell=reference, **control)  # type: ignore[arg-type]


def marks_workbook(path: Path) -> Path:
    book = Workbook()
    umbrella = book.active
    umbrella.title = "Security"
    umbrella.append(["#", "Control", "Response", None, None, "Comments"])  # "Response" over …
    umbrella.append([None, None, "Yes", "No", "N/A", None])  # … the answers, one column each
    umbrella.merge_cells("C1:E1")
    umbrella.append(["1", "Is data encrypted at rest?", "x", None, None, "AES-256"])
    umbrella.append(["2", "Is MFA enforced for administrators?", None, None, None, None])
    umbrella.append(["3", "Are backups tested?", None, "X", None, None])
    umbrella.append(["4", "Do you run a bug bounty programme?", "x", "x", None, None])
    inline = book.create_sheet("Compliance")
    inline.append(["Requirement", "Compliant", "Partially compliant", "Not compliant", "Notes"])
    inline.append(["Access to production is logged.", None, "✓", None, None])
    inline.append(["Staff complete security training every year.", None, None, None, None])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return marks_workbook(tmp_path_factory.mktemp("marks") / "marks.xlsx")


def test_mark_columns_in_a_workbook(workbook: Path) -> None:
    found = parse(workbook)
    assert [(q.ref, q.answer_location, q.options, q.existing_answer, q.comment_location)
            for q in found.questions] == [
        ("1", cell("Security", "C3", control="mark"), ("Yes", "No", "N/A"), "Yes",
         cell("Security", "F3")),
        ("2", cell("Security", "C4", control="mark"), ("Yes", "No", "N/A"), None,
         cell("Security", "F4")),
        ("3", cell("Security", "C5", control="mark"), ("Yes", "No", "N/A"), "No",
         cell("Security", "F5")),
        ("4", cell("Security", "C6", control="mark"), ("Yes", "No", "N/A"), "Yes; No",
         cell("Security", "F6")),
        ("Q001", cell("Compliance", "B2", control="mark"),
         ("Compliant", "Partially compliant", "Not compliant"), "Partially compliant",
         cell("Compliance", "E2")),
        ("Q002", cell("Compliance", "B3", control="mark"),
         ("Compliant", "Partially compliant", "Not compliant"), None, cell("Compliance", "E3")),
    ]
    assert found.questions[0].answer_type == "yes_no"
    assert [s.reason for s in found.skipped if s.reason == "header_row"] == ["header_row"] * 3


def test_mark_columns_round_trip(workbook: Path, tmp_path: Path, kb) -> None:
    out = tmp_path / "marks_filled.xlsx"
    questionnaire, result = fill(workbook, out, kb)
    assert_xlsx_round_trip(workbook, questionnaire, result, out)
    refilled = {q.ref: q.existing_answer for q in parse(out).questions}
    # exactly one mark, in the column of the answer written; the earlier marks are gone
    assert refilled == {"1": "N/A", "2": "N/A", "3": "N/A", "4": "N/A",
                        "Q001": "Not compliant", "Q002": "Not compliant"}
    assert_libreoffice_opens([out], tmp_path)


def test_a_mark_is_never_made_for_an_answer_needing_review(workbook: Path) -> None:
    question = parse(workbook).questions[1]
    unsure = Answer("Yes", "Drafted.", 0.4, "needs_review", "control")
    writes, refused = plan_answers([(question, unsure)])
    assert writes == []
    assert [n.reason for n in refused] == [NEEDS_REVIEW_NO_MARK]


def test_mark_columns_in_a_csv_file(tmp_path: Path, kb) -> None:
    source = tmp_path / "marks.csv"
    source.write_text("ID,Question,Yes,No,N/A,Comments\n"
                      "Q-1,Do you encrypt backups?,x,,,\n"
                      "Q-2,Do you review access quarterly?,,,,\n", encoding="utf-8")
    found = parse(source)
    assert [(q.ref, q.answer_location, q.existing_answer) for q in found.questions] == [
        ("Q-1", Location(kind="row", row=2, column=3, control="mark"), "Yes"),
        ("Q-2", Location(kind="row", row=3, column=3, control="mark"), None)]
    out = tmp_path / "marks_filled.csv"
    _, result = fill(source, out, kb)
    assert_reads_back(result, out)
    assert out.read_text(encoding="utf-8").splitlines()[1:] == [
        "Q-1,Do you encrypt backups?,,,X,Candor test comment Q-1",
        "Q-2,Do you review access quarterly?,,,X,Candor test comment Q-2"]


def marks_document(path: Path) -> Path:
    """A Word table with a "Yes" cell and a "No" cell per row, then the evidence column."""
    document = docx.Document()
    document.add_heading("Capabilities", level=1)
    rows = [("Capability", "Yes", "No", "Describe capability / evidence"),
            ("Single sign-on with SAML 2.0", "X", "", "Okta and Entra ID"),
            ("Customer-managed encryption keys", "", "", ""),
            ("Audit log export to a SIEM", "", "", "")]
    table = document.add_table(rows=len(rows), cols=4)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    document.save(path)
    return path


def test_mark_columns_in_a_word_table(tmp_path: Path, kb) -> None:
    source = marks_document(tmp_path / "capabilities.docx")
    found = parse(source)
    table = Location(kind="table", table=0, row=1, column=1, control="mark")
    assert [(q.text, q.answer_location.row, q.existing_answer, q.comment_location)
            for q in found.questions] == [
        ("Single sign-on with SAML 2.0", 1, "Yes", Location(kind="table", table=0, row=1,
                                                             column=3)),
        ("Customer-managed encryption keys", 2, None, Location(kind="table", table=0, row=2,
                                                               column=3)),
        ("Audit log export to a SIEM", 3, None, Location(kind="table", table=0, row=3,
                                                         column=3))]
    assert found.questions[0].answer_location == table
    assert found.questions[0].options == ("Yes", "No")
    out = tmp_path / "capabilities_filled.docx"
    _, result = fill(source, out, kb)
    assert_docx_round_trip(source, result, out)
    assert_reads_back(result, out)
    assert [q.existing_answer for q in parse(out).questions] == ["No", "No", "No"]
    assert_libreoffice_opens([out], tmp_path)


# --- several response columns ---------------------------------------------------------------


def responses_workbook(path: Path) -> Path:
    """An answer, an ownership list and an implementation description per question, under a
    title row that the answer column's list also covers."""
    book = Workbook()
    sheet = book.active
    sheet.title = "CAIQ"
    sheet.append(["Consensus assessment questionnaire for cloud services"])
    sheet.append(["Question", "CSP Answer", "SSRM Control Ownership",
                  "CSP Implementation Description (Optional/Recommended)",
                  "CSC Responsibilities (Optional/Recommended)"])
    sheet.append(["Are audit and assurance policies established, documented and approved?"])
    sheet.append(["Are audit and assurance policies reviewed at least annually?"])
    sheet.append(["Are independent audit and assurance assessments conducted?"])
    for column, values in (("B", "Yes,No,NA"), ("C", "CSP-owned,CSC-owned,Shared")):
        validation = DataValidation(type="list", formula1=f'"{values}"')
        sheet.add_data_validation(validation)
        validation.add(f"{column}1:{column}200")
    book.save(path)
    return path


def test_several_response_columns(tmp_path: Path, kb) -> None:
    source = responses_workbook(tmp_path / "caiq.xlsx")
    found = parse(source)
    assert [(q.ref, q.answer_location, q.comment_location, q.options)
            for q in found.questions] == [
        (f"Q00{i}", cell("CAIQ", f"B{i + 2}"), cell("CAIQ", f"D{i + 2}"), ("Yes", "No", "NA"))
        for i in (1, 2, 3)]
    skipped = {(s.reason, s.text) for s in found.skipped}
    assert ("section_header", "Consensus assessment questionnaire for cloud services") in skipped
    assert ("other_response_column", "SSRM Control Ownership") in skipped
    out = tmp_path / "caiq_filled.xlsx"
    questionnaire, result = fill(source, out, kb)
    assert_xlsx_round_trip(source, questionnaire, result, out)
