"""Older cloud questionnaires whose only response column is "Notes" or "Comments / Notes": that
column takes the answer (there is nowhere else to write it), nothing is written past the table."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from service.ingest import Location, parse

from .roundtrip import assert_libreoffice_opens, assert_xlsx_round_trip, fill


def comments_only_workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "CAIQ v1.1"
    sheet.append(["Control Area", "Control ID", "Question ID", "Control Specification",
                  "Consensus Assessment Questions", "Notes"])
    sheet.append(["Compliance - Audit Planning", "CO-01", "CO-01.1",
                  "Audit plans shall be developed and maintained.",
                  "Do you produce audit assertions using a structured, industry accepted format?"])
    sheet.append([None, None, "CO-01.2", None,
                  "Do you allow tenants to view your third party audit reports?"])
    sheet.append(["Compliance - Independent Audits", "CO-02", "CO-02.1",
                  "Independent reviews shall be performed at least annually.",
                  "Do you conduct network penetration tests of your cloud service at least "
                  "annually?"])
    other = book.create_sheet("Supplier")
    other.append(["Question", "Comments / Notes"])
    other.append(["Describe how customer data is segregated between tenants."])
    other.append(["Which regions is customer data stored in?"])
    book.save(path)
    return path


def test_the_only_remarks_column_takes_the_answer(tmp_path: Path, kb) -> None:
    source = comments_only_workbook(tmp_path / "caiq_v1.xlsx")
    found = parse(source)
    assert [(q.ref, q.answer_location, q.comment_location) for q in found.questions] == [
        ("CO-01.1", Location(kind="cell", sheet="CAIQ v1.1", cell="F2"), None),
        ("CO-01.2", Location(kind="cell", sheet="CAIQ v1.1", cell="F3"), None),
        ("CO-02.1", Location(kind="cell", sheet="CAIQ v1.1", cell="F4"), None),
        ("Q001", Location(kind="cell", sheet="Supplier", cell="B2"), None),
        ("Q002", Location(kind="cell", sheet="Supplier", cell="B3"), None),
    ]
    out = tmp_path / "caiq_v1_filled.xlsx"
    questionnaire, result = fill(source, out, kb)
    assert_xlsx_round_trip(source, questionnaire, result, out)
    # the comment has no slot of its own: reported, the answer holds the response
    assert {n.reason for n in result.not_written} == {"no comment slot"}
    assert_libreoffice_opens([out], tmp_path)
