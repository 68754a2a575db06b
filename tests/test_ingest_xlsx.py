"""XLSX and CSV ingest on the real corpus: counts, answers, options, slots."""

import warnings
from collections import Counter

import pytest
from openpyxl import load_workbook

from service.ingest import parse
from service.ingest.text import clean

# (file, question rows, distinct refs, already-answered rows) from shared/corpus/MANIFEST.md.
# Portfolium's manifest says 217 answered: 3 of those cells hold the template's own hints
# ("See Instructions tab for guidance", "ticket#@yourdomain.edu", an institution-only field),
# which are not answers, so 214 are.
CORPUS_COUNTS = [
    ("xlsx/HECVAT_Full_v3.06_blank.xlsx", 255, 255, None),
    ("xlsx/HECVAT_Full_v3.04_CanvasLMS_filled.xlsx", 255, 255, 203),
    ("xlsx/HECVAT_Full_v2.11_Portfolium_filled.xlsx", 280, 280, 214),
    ("xlsx/HECVAT_Lite_v3.04_CanvasStudio_filled.xlsx", 94, 94, 93),
    ("xlsx/HECVAT_Lite_v2.11_blank.xlsx", 74, 74, 0),
    ("xlsx/HECVAT_4.1.4_blank.xlsx", 376, 332 - 1, 0),
    ("xlsx/HECVAT_4.1.2_VectorSolutions_filled.xlsx", 376, 331, 376),
    ("xlsx/CoSN_K12CVAT_Lite_v4.1_CanvasLMS_filled.xlsx", 76, 76, None),
    ("xlsx/OWASP_SAMM_v2_Toolbox_assessment_blank.xlsx", 90, 90, 0),
    ("xlsx/CISA_ICT-SCRM_Vendor_SCRM_questions.xlsx", 255, 255, 0),
    ("xlsx/ISMSForum_Supply-Chain_Risk_Questionnaire_ES.xlsx", 75, 75, 0),
    ("csv/HECVAT_Lite_IntelligentInsights_filled.csv", 78, 78, 77),
]


@pytest.fixture(scope="module")
def parsed(corpus):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = parse(corpus / name)
        return cache[name]

    return get


@pytest.mark.parametrize(("name", "rows", "refs", "answered"), CORPUS_COUNTS)
def test_corpus_question_counts(parsed, name, rows, refs, answered):
    questionnaire = parsed(name)
    assert len(questionnaire.questions) == rows
    assert len({(q.answer_location.sheet, q.ref) for q in questionnaire.questions}) == rows
    assert len({q.ref for q in questionnaire.questions}) == refs
    if answered is not None:
        assert sum(1 for q in questionnaire.questions if q.existing_answer) == answered
    assert all(q.text and q.ref for q in questionnaire.questions)


def test_hecvat_4_counts_332_unique_ids_with_contact_rows_repeated_per_tab(parsed):
    questionnaire = parsed("xlsx/HECVAT_4.1.4_blank.xlsx")
    per_sheet = Counter(q.answer_location.sheet for q in questionnaire.questions)
    assert per_sheet == {
        "START HERE": 22,
        "Organization": 51,
        "Product": 46,
        "Infrastructure": 56,
        "IT Accessibility": 23,
        "Case-Specific": 68,
        "AI": 36,
        "Privacy": 74,
    }
    # the manifest's 332 includes one ID that only the hidden question bank carries
    assert len({q.ref for q in questionnaire.questions}) == 331


def test_analyst_hidden_and_derived_sheets_are_reported_not_read(parsed):
    questionnaire = parsed("xlsx/HECVAT_Full_v3.06_blank.xlsx")
    sheets = {q.answer_location.sheet for q in questionnaire.questions}
    assert len(sheets) == 1
    whole_sheets = {
        s.location: s.reason for s in questionnaire.skipped if isinstance(s.location, str)
    }
    assert "hidden_sheet" in whole_sheets.values()
    assert "analyst_or_helper_sheet" in whole_sheets.values()
    assert len(whole_sheets) == 12  # every other sheet, each with its reason


def test_answer_and_comment_slots_point_at_the_vendor_columns(parsed, corpus):
    questionnaire = parsed("xlsx/HECVAT_Full_v3.04_CanvasLMS_filled.xlsx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = load_workbook(
            corpus / "xlsx/HECVAT_Full_v3.04_CanvasLMS_filled.xlsx", data_only=True
        )
    for question in questionnaire.questions:
        sheet = workbook[question.answer_location.sheet]
        assert (
            sheet[question.question_location.cell]
            .value.strip()
            .startswith(question.text[:20].strip())
        )
        if question.existing_answer and question.answer_type != "date":
            assert clean(sheet[question.answer_location.cell].value) == question.existing_answer
    by_ref = {q.ref: q for q in questionnaire.questions}
    assert by_ref["DATE-01"].existing_answer == "2024-05-20"  # a real date cell, as ISO
    assert by_ref["COMP-02"].comment_location is not None
    assert by_ref["COMP-02"].answer_location.cell[0] == "C"
    assert by_ref["COMP-02"].comment_location.cell[0] == "D"


def test_placeholders_are_not_answers(parsed):
    questionnaire = parsed("xlsx/HECVAT_Full_v3.06_blank.xlsx")
    by_ref = {q.ref: q for q in questionnaire.questions}
    assert by_ref["GNRL-01"].existing_answer is None  # "Vendor Name"
    assert by_ref["GNRL-09"].existing_answer is None  # "555-555-5555"
    assert by_ref["DATE-01"].existing_answer is None  # "mm/dd/yyyy"
    hints = {s.text for s in questionnaire.skipped if s.reason == "placeholder"}
    assert {"Vendor Name", "555-555-5555"} <= hints


def test_dropdowns_from_named_ranges_and_x14_extension_lists(parsed):
    full = {q.ref: q for q in parsed("xlsx/HECVAT_Full_v3.06_blank.xlsx").questions}
    assert full["QUAL-01"].options == ("Yes", "No")  # named range
    assert full["QUAL-01"].answer_type == "yes_no"
    # HECVAT 4 has no classic list validation at all: only x14 cross-sheet lists
    v4 = {
        (q.answer_location.sheet, q.ref): q
        for q in parsed("xlsx/HECVAT_4.1.4_blank.xlsx").questions
    }
    assert v4[("Organization", "DOCU-01")].options == ("Yes", "No")
    assert sum(1 for q in v4.values() if q.options) > 250


def test_per_cell_named_range_dropdowns_and_two_row_questions(parsed):
    questions = parsed("xlsx/OWASP_SAMM_v2_Toolbox_assessment_blank.xlsx").questions
    first = questions[0]
    assert first.ref == "G-SM-A-1-1"  # from a hidden ID column
    assert first.answer_type == "choice"
    assert first.options[0] == "No" and len(first.options) == 4
    assert len({q.options for q in questions}) > 20  # each cell has its own list
    # the second row of each question (its criteria) belongs to it, not to a new question
    assert "risk appetite" in first.text and len(first.text) > len("Do you understand") + 100


def test_answer_type_codes_resolve_through_a_lookup_sheet(parsed):
    spanish = parsed("xlsx/ISMSForum_Supply-Chain_Risk_Questionnaire_ES.xlsx").questions
    assert spanish[0].options == ("Si", "No", "Parcial", "N/A")
    assert spanish[0].answer_type == "yes_no"
    assert spanish[0].section == "PRINCIPIOS DE SEGURIDAD"
    cisa = parsed("xlsx/CISA_ICT-SCRM_Vendor_SCRM_questions.xlsx").questions
    coded = [q for q in cisa if q.options]
    assert coded and all(
        q.options == ("Yes", "No", "Alternate", "N/A") or q.options == ("Yes", "No", "Alternate")
        for q in coded
    )
    # no answer column in the file: answers go in the first free column, never over the codes
    assert {q.answer_location.cell[0] for q in cisa} == {"I"}


def test_formula_questions_read_by_cached_value_and_formula_answers_flagged(parsed):
    v4 = parsed("xlsx/HECVAT_4.1.4_blank.xlsx").questions
    assert all(not q.text.startswith("=") for q in v4)
    repeated_contacts = [
        q for q in v4 if q.ref == "GNRL-01" and q.answer_location.sheet != "START HERE"
    ]
    assert repeated_contacts and all(q.answer_formula for q in repeated_contacts)


def test_csv_with_bom_multiline_cells_and_section_rows(parsed):
    questionnaire = parsed("csv/HECVAT_Lite_IntelligentInsights_filled.csv")
    first = questionnaire.questions[0]
    assert first.ref == "COMP-01"  # no BOM residue in the header or the IDs
    assert first.answer_location.to_dict() == {"kind": "row", "row": 2, "column": 3}
    assert "\n" in first.existing_answer  # a multi-line quoted cell stays one answer
    assert first.section == "Company Overview"
    assert {q.section for q in questionnaire.questions} >= {"Documentation", "Data"}


def test_sample_questionnaire_bundled_for_the_demo():
    from service.settings import REPO_ROOT

    questionnaire = parse(REPO_ROOT / "samples" / "northwind_vendor_security_assessment.xlsx")
    assert len(questionnaire.questions) == 30
    assert questionnaire.questions[0].existing_answer is None  # "Company Name" hint


def _unseen_family_workbook(path):
    """A CAIQ-like layout none of the corpus uses: banner rows, header at row 6, no-ID rows."""
    from openpyxl import Workbook
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Assessment"
    sheet["A1"] = "Consensus-style Cloud Controls Questionnaire"
    sheet["A2"] = "Please answer every question below and explain any 'No' in the notes."
    sheet.append([])
    sheet.append([])
    sheet.append([])
    sheet.append(["Question ID", "Control Question", "Answer (Yes/No/NA)", "Notes", "Guidance"])
    sheet.append(["Audit Assurance"])
    sheet.append(["AAC-01.1", "Do you produce audit assertions using a structured format?"])
    sheet.append(["AAC-01.2", "Do you allow tenants to view your third-party audit reports?"])
    sheet.append(["Encryption"])
    sheet.append(["EKM-02.1", "Is customer data encrypted at rest?", "Yes", "AES-256 via KMS"])
    sheet.append(["", "Describe your key rotation schedule.", "", ""])
    sheet.append(["EKM-03.1", "Which TLS versions do you accept?", "", ""])
    choices = workbook.create_sheet("Choices")
    for row, value in enumerate(["TLS 1.3 only", "TLS 1.2+", "TLS 1.0+"], start=1):
        choices.cell(row=row, column=1, value=value)
    workbook.defined_names["TlsChoices"] = DefinedName("TlsChoices", attr_text="Choices!$A$1:$A$3")
    inline = DataValidation(type="list", formula1='"Yes,No,NA"')
    named = DataValidation(type="list", formula1="TlsChoices")
    sheet.add_data_validation(inline)
    sheet.add_data_validation(named)
    inline.add("C8:C11")
    named.add("C13")
    workbook.save(path)


def test_an_unseen_layout_is_read_by_its_headers(tmp_path):
    path = tmp_path / "unseen.xlsx"
    _unseen_family_workbook(path)
    questionnaire = parse(path)
    refs = [q.ref for q in questionnaire.questions]
    assert refs == ["AAC-01.1", "AAC-01.2", "EKM-02.1", "Q001", "EKM-03.1"]
    assert questionnaire.questions[3].ref_generated
    by_ref = {q.ref: q for q in questionnaire.questions}
    assert by_ref["AAC-01.1"].section == "Audit Assurance"
    assert by_ref["AAC-01.1"].options == ("Yes", "No", "NA")
    assert by_ref["AAC-01.1"].answer_location.cell == "C8"
    assert by_ref["AAC-01.1"].comment_location.cell == "D8"
    assert by_ref["EKM-02.1"].existing_answer == "Yes"
    assert by_ref["EKM-02.1"].existing_comment == "AES-256 via KMS"
    assert by_ref["EKM-03.1"].options == ("TLS 1.3 only", "TLS 1.2+", "TLS 1.0+")
    assert by_ref["EKM-03.1"].answer_type == "choice"
    reasons = {s.reason for s in questionnaire.skipped}
    assert {"header_row", "section_header"} <= reasons
