"""Requirements written as statements under printed IDs, and the same requirements on a sheet per
platform: built workbooks with each trap of the layouts, the OWASP MASVS checklist of the corpus,
and the round trip of each."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from service.ingest import Location, Questionnaire, parse

from .roundtrip import assert_libreoffice_opens, assert_xlsx_round_trip, fill

MASVS = "xlsx/OWASP_MASVS_Checklist_1.2.xlsx"
FAMILIES = [
    ("3.1", "Access Control", None),
    ("3.1.1", "Limit system access to authorized users, processes acting on behalf of "
              "authorized users, and devices.", None),
    ("3.1.2", "Limit system access to the types of transactions and functions that authorized "
              "users are permitted to execute.", None),
    ("", "Derived Security Requirements", None),
    ("3.1.3", "Control the flow of CUI in accordance with approved authorizations.", None),
    ("3.2", "Awareness and Training", None),
    ("3.2.1", "Ensure that managers, systems administrators, and users are made aware of the "
              "security risks associated with their activities.", None),
]


def cell(sheet: str, reference: str) -> Location:
    return Location(kind="cell", sheet=sheet, cell=reference)


def dropdown(sheet, cells: str, values: str) -> None:
    validation = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
    sheet.add_data_validation(validation)
    validation.add(cells)


def statements_workbook(path: Path) -> Path:
    """Three sheets of the same requirements: a status dropdown and an evidence column; only
    "Evidence | Notes"; and IDs left out, statements beside an empty "Status" column."""
    book = Workbook()
    status = book.active
    status.title = "With status"
    status.append(["Self-assessment of security requirements"])
    status.append([])
    status.append(["Requirement #", "Security Requirement", "Implementation Status", "Evidence"])
    for row in FAMILIES:
        status.append(list(row[:2]))
    dropdown(status, "C4:C10", "Implemented,Partially Implemented,Not Implemented")
    evidence = book.create_sheet("Evidence only")
    evidence.append(["Requirement #", "Security Requirement", "Evidence", "Notes"])
    for row in FAMILIES:
        evidence.append(list(row[:2]))
    unnumbered = book.create_sheet("Unnumbered")
    unnumbered.append(["Requirement", "Status", "Comments"])
    unnumbered.append(["Asset management"])
    unnumbered.append(["Maintain an inventory of all hardware and software assets."])
    unnumbered.append(["Review the inventory at least once a year and after major changes."])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def statements(tmp_path_factory) -> Path:
    return statements_workbook(tmp_path_factory.mktemp("statements") / "statements.xlsx")


def test_statements_under_printed_ids_are_questions(statements: Path) -> None:
    found = parse(statements)
    assert [(q.ref, q.answer_location, q.comment_location) for q in found.questions] == [
        # the same requirements on two sheets: each sheet's refs are its own
        ("With status/3.1.1", cell("With status", "C5"), cell("With status", "D5")),
        ("With status/3.1.2", cell("With status", "C6"), cell("With status", "D6")),
        ("With status/3.1.3", cell("With status", "C8"), cell("With status", "D8")),
        ("With status/3.2.1", cell("With status", "C10"), cell("With status", "D10")),
        # no status column: the evidence column takes the answer, the notes the comment
        ("Evidence only/3.1.1", cell("Evidence only", "C3"), cell("Evidence only", "D3")),
        ("Evidence only/3.1.2", cell("Evidence only", "C4"), cell("Evidence only", "D4")),
        ("Evidence only/3.1.3", cell("Evidence only", "C6"), cell("Evidence only", "D6")),
        ("Evidence only/3.2.1", cell("Evidence only", "C8"), cell("Evidence only", "D8")),
        ("Q001", cell("Unnumbered", "B3"), cell("Unnumbered", "C3")),
        ("Q002", cell("Unnumbered", "B4"), cell("Unnumbered", "C4")),
    ]
    first = found.questions[0]
    assert first.text.startswith("Limit system access to authorized users")
    assert first.options == ("Implemented", "Partially Implemented", "Not Implemented")
    assert first.section == "Access Control"
    assert found.questions[3].section == "Awareness and Training"
    sections = [s.text for s in found.skipped if s.reason == "section_header"]
    assert sections.count("Access Control") == 2 and "Asset management" in sections


def test_statements_round_trip(statements: Path, tmp_path: Path, kb) -> None:
    out = tmp_path / "statements_filled.xlsx"
    questionnaire, result = fill(statements, out, kb)
    assert_xlsx_round_trip(statements, questionnaire, result, out)
    answers = {w.location: w.text for w in result.written if w.role == "answer"}
    assert answers[cell("With status", "C5")] == "Not Implemented"
    assert answers[cell("Evidence only", "C3")] == "Candor test answer Evidence only/3.1.1"
    assert_libreoffice_opens([out], tmp_path)


# --- the same requirements on a sheet per platform ------------------------------------------

REQUIREMENTS = [
    ("V1", "", "Authentication", "", None),
    ("1.1", "APP-AUTH-1", "The app uses the platform's credential store for secrets.", "✓", None),
    ("1.2", "APP-AUTH-2", "Sessions expire after a period of inactivity.", "", "N/A"),
    ("1.3", "APP-AUTH-3", "Biometric unlock is bound to a key in the secure hardware.", "", "N/A"),
    ("V2", "", "Network", "", None),
    ("2.1", "APP-NET-1", "Data is sent encrypted with TLS 1.2 or later.", "✓", None),
    ("2.2", "APP-NET-2", "The app pins the certificate of its own back end.", "", "N/A"),
]


def platforms_workbook(path: Path) -> Path:
    """'Checklist - Web' and 'Checklist - Mobile': numbers 1.1… on both, the printed codes in
    the second column, 'N/A' pre-filled by the template on optional levels, a legend below; and
    two tabs sharing only their contact rows."""
    book = Workbook()
    book.remove(book.active)
    for platform in ("Web", "Mobile"):
        sheet = book.create_sheet(f"Checklist - {platform}")
        sheet.append([f"Security requirements - {platform}"])
        sheet.append(["ID", "Code-ID", "Requirement", "Level 1", "Status", "Comment"])
        for number, code, text, level, default in REQUIREMENTS:
            sheet.append([number, code, text, level, default, None])
        sheet.append([])
        sheet.append(["Legend"])
        sheet.append(["Pass", None, "Requirement is met."])
        sheet.append(["N/A", None, "Requirement does not apply."])
        dropdown(sheet, "E3:E9", "Pass,Fail,N/A")
    for tab, extra in (("Organization", "Do you have a security team?"),
                       ("Product", "Does the product support single sign-on?")):
        sheet = book.create_sheet(tab)
        sheet.append(["ID", "Question", "Answer"])
        sheet.append(["GNRL-01", "Vendor name", None])
        sheet.append(["GNRL-02", "Vendor contact email", None])
        sheet.append([f"{tab[:3].upper()}-01", extra, None])
        sheet.append([f"{tab[:3].upper()}-02", extra.replace("?", " today?"), None])
        sheet.append([f"{tab[:3].upper()}-03", extra.replace("?", " for all staff?"), None])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def platforms(tmp_path_factory) -> Path:
    return platforms_workbook(tmp_path_factory.mktemp("platforms") / "platforms.xlsx")


def test_each_platform_sheet_gets_its_own_refs(platforms: Path) -> None:
    found = parse(platforms)
    checklist = [q for q in found.questions if q.answer_location.sheet.startswith("Checklist")]
    assert [q.ref for q in checklist] == [
        "Web/APP-AUTH-1", "Web/APP-AUTH-2", "Web/APP-AUTH-3", "Web/APP-NET-1", "Web/APP-NET-2",
        "Mobile/APP-AUTH-1", "Mobile/APP-AUTH-2", "Mobile/APP-AUTH-3", "Mobile/APP-NET-1",
        "Mobile/APP-NET-2"]
    assert checklist[0].answer_location == cell("Checklist - Web", "E4")
    assert checklist[0].comment_location == cell("Checklist - Web", "F4")
    assert checklist[0].section == "Authentication" and checklist[3].section == "Network"
    # the template's "N/A" on optional levels is no answer, and says so
    assert all(q.existing_answer is None for q in checklist)
    defaults = [s for s in found.skipped if s.reason == "template_default"]
    assert [str(s.location) for s in defaults][:3] == [
        "Checklist - Web!E5", "Checklist - Web!E6", "Checklist - Web!E9"]
    assert len(defaults) == 6
    assert any("6 answer slots hold the template's default 'N/A'" in n for n in found.notices)
    # section and legend rows are not questions
    assert not any(q.text in ("Authentication", "Network", "Requirement is met.")
                   for q in found.questions)
    # tabs sharing a few contact rows keep the printed refs
    tabs = [q.ref for q in found.questions if not q.answer_location.sheet.startswith("Check")]
    assert tabs == ["GNRL-01", "GNRL-02", "ORG-01", "ORG-02", "ORG-03",
                    "GNRL-01", "GNRL-02", "PRO-01", "PRO-02", "PRO-03"]


def test_platforms_round_trip(platforms: Path, tmp_path: Path, kb) -> None:
    out = tmp_path / "platforms_filled.xlsx"
    questionnaire, result = fill(platforms, out, kb)
    assert_xlsx_round_trip(platforms, questionnaire, result, out)
    # written "N/A" with a comment is an answer, not a template default
    refilled = parse(out)
    assert not any(s.reason == "template_default" for s in refilled.skipped)
    assert_libreoffice_opens([out], tmp_path)


# --- the OWASP MASVS checklist of the corpus ------------------------------------------------


@pytest.fixture(scope="module")
def masvs(corpus: Path) -> Questionnaire:
    return parse(corpus / MASVS)


def test_masvs_168_requirements_with_distinct_printed_refs(masvs: Questionnaire) -> None:
    questions = masvs.questions
    assert len(questions) == 168
    assert len({q.ref for q in questions}) == 168
    assert all(q.ref.split("/")[0] in ("Android", "iOS") and
               q.ref.split("/")[1].startswith("MSTG-") for q in questions)
    assert {q.ref.split("/")[0] for q in questions[:84]} == {"Android"}
    arch = next(q for q in questions if q.ref == "iOS/MSTG-ARCH-1")
    assert arch.answer_location == Location(kind="cell", sheet="Security Requirements - iOS",
                                            cell="G5")
    assert arch.options == ("Pass", "Fail", "N/A")
    crypto = next(q for q in questions if q.ref == "Android/MSTG-CRYPTO-1")  # printed with ‑
    assert crypto.section == "Cryptography"
    # 0 section or legend rows taken, and no section title glued to a requirement
    assert not any(q.text.startswith(("Architecture, design", "Requirement is")) or
                   q.text.endswith(("Device Binding", "Impede Comprehension"))
                   for q in questions)
    defaults = [s for s in masvs.skipped if s.reason == "template_default"]
    assert len(defaults) == 76 and all(q.existing_answer is None for q in questions)
