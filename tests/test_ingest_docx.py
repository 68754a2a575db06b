"""DOCX ingest: the two real templates of the corpus and small documents built here."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from service.ingest.docx import parse_docx
from service.ingest.model import IngestError, Location, Question, Questionnaire
from service.ingest.source import DEFAULT_LIMITS

DPIA = "docx/UK_ICO_DPIA_template_GDPR_blank.docx"
FEDRAMP = "docx/FedRAMP_SSP_Template_v2.1_blank.docx"
W = nsdecls("w")
IMPLEMENTATION_STATUS = ("Implemented", "Partially implemented", "Planned",
                         "Alternative implementation", "Not applicable")


def parse(data: bytes) -> Questionnaire:
    return parse_docx(data, DEFAULT_LIMITS)


@pytest.fixture(scope="module")
def dpia(corpus: Path) -> Questionnaire:
    return parse((corpus / DPIA).read_bytes())


@pytest.fixture(scope="module")
def fedramp(corpus: Path) -> Questionnaire:
    return parse((corpus / FEDRAMP).read_bytes())


def by_text(questionnaire: Questionnaire, text: str) -> Question:
    found = [q for q in questionnaire.questions if q.text == text]
    assert len(found) == 1, f"{text!r}: {len(found)} questions"
    return found[0]


def cell(table: int, row: int, column: int, **control: object) -> Location:
    return Location(kind="table", table=table, row=row, column=column, **control)  # type: ignore[arg-type]


# --- UK ICO DPIA template ---------------------------------------------------------------------


def test_dpia_answer_fields(dpia: Questionnaire) -> None:
    # 26 answer fields, checked by hand against the document:
    #   3  controller details (table 0: label | empty cell)
    #   7  step 1-4 prompts (tables 1-7: prompt row over an empty answer row)
    #   4  step 5 risk table (table 8: header row over one row of empty cells and choice hints)
    #   5  step 6 measures table (table 9: caption row, header row, one row of cells and hints)
    #   7  step 7 sign-off (table 10: five "approved by" rows, "Summary of DPO advice:" answered
    #      in its own cell, "This DPIA will kept under review by"); its two "Comments:" rows are
    #      the comment slots of the rows above them, not questions of their own
    assert len(dpia.questions) == 26
    assert all(q.ref_generated and q.ref == "" for q in dpia.questions)
    assert all(q.existing_answer is None for q in dpia.questions)
    assert Counter(q.answer_type for q in dpia.questions) == {"text": 20, "choice": 5, "yes_no": 1}


def test_dpia_locations_and_sections(dpia: Questionnaire) -> None:
    controller = by_text(dpia, "Name of controller")
    assert controller.section == "Submitting controller details"
    assert controller.question_location == cell(0, 0, 0)
    assert controller.answer_location == cell(0, 0, 1)

    nature = dpia.questions[4]
    assert nature.text.startswith("Describe the nature of the processing")
    assert nature.section == "Step 2: Describe the processing"
    assert (nature.question_location, nature.answer_location) == (cell(2, 0, 0), cell(2, 1, 0))

    advice = by_text(dpia, "Summary of DPO advice")  # answered inside its own merged cell
    assert advice.answer_location == advice.question_location == cell(10, 4, 0)
    overruled = by_text(dpia, "DPO advice accepted or overruled by")
    assert overruled.answer_location == cell(10, 5, 1)
    assert overruled.comment_location == cell(10, 6, 0)


def test_dpia_choice_hints_become_options(dpia: Questionnaire) -> None:
    likelihood = by_text(dpia, "Likelihood of harm")
    assert likelihood.options == ("Remote", "possible", "probable")
    assert likelihood.answer_location == cell(8, 1, 1)
    assert likelihood.existing_answer is None  # the hint is not an answer
    assert by_text(dpia, "Effect on risk").options == ("Eliminated", "reduced", "accepted")
    approved = by_text(dpia, "Measure approved")
    assert approved.answer_type == "yes_no" and approved.options == ("Yes", "no")
    hints = {s.text for s in dpia.skipped if s.reason == "placeholder"}
    assert {"Remote, possible or probable", "Low medium high", "Yes/no"} <= hints
    assert any(s.reason == "header_row" and s.location == cell(10, 0, 0) for s in dpia.skipped)


# --- FedRAMP SSP template ---------------------------------------------------------------------


def control_blocks(fedramp: Questionnaire) -> list[Question]:
    return [q for q in fedramp.questions if not q.ref_generated]


def test_fedramp_one_question_per_control_block(fedramp: Questionnaire) -> None:
    # A control block is the control's summary table (status and origination checkboxes, role,
    # parameters) plus its "What is the solution and how is it implemented?" table: one question
    # whose answer is the implementation status and whose comment is the narrative. The manifest
    # says ~325; the template has 325 distinct controls and enhancements (five of them carry an
    # extra "Additional FedRAMP Requirements" block folded into the same question).
    blocks = control_blocks(fedramp)
    assert 310 <= len(blocks) <= 340
    assert len(blocks) == 325
    refs = [q.ref for q in blocks]
    assert len(set(refs)) == len(refs)
    assert all(set(IMPLEMENTATION_STATUS) <= set(q.options) for q in blocks)
    assert all(q.answer_location.control == "checkbox" and q.comment_location for q in blocks)


def test_fedramp_ac2(fedramp: Questionnaire) -> None:
    ac2 = next(q for q in fedramp.questions if q.ref == "AC-2")
    assert ac2.text == "What is the solution and how is it implemented?"
    assert ac2.section == "Account Management (AC-2)"
    assert ac2.answer_type == "choice"
    assert ac2.options == IMPLEMENTATION_STATUS
    assert ac2.answer_location == cell(31, 6, 0, control="checkbox", index=0)
    assert ac2.question_location == cell(32, 0, 0)
    assert ac2.comment_location == cell(32, 1, 1)  # "Part a" of the narrative
    assert ac2.existing_answer is None
    enhancement = next(q for q in fedramp.questions if q.ref == "AC-2 (1)")
    assert enhancement.section == "Control Enhancement AC-2 (1)"
    assert enhancement.comment_location == cell(34, 1, 0)
    # the block's other slots are reported, not dropped
    secondary = {s.text for s in fedramp.skipped
                 if s.reason == "secondary_field" and s.location.table == 31}
    assert {"Responsible Role", "Parameter AC-2(a)", "Control Origination (check all that apply)",
            } <= secondary


def test_fedramp_prefilled_narrative_is_an_existing_comment(fedramp: Questionnaire) -> None:
    ca3 = next(q for q in fedramp.questions if q.ref == "CA-3")
    assert ca3.existing_comment == "See § 11 for information about implementation."


def test_fedramp_front_matter(fedramp: Questionnaire) -> None:
    # contacts, system name, categorization, e-authentication, status, service and deployment
    # models: the answer fields before the controls
    system = [q for q in fedramp.questions if q.ref_generated]
    assert len(system) == 56
    categorization = by_text(fedramp, "Security Categorization")  # checkbox list, caption text
    assert categorization.options == ("Low", "Moderate", "High")
    assert categorization.answer_location == cell(6, 0, 1, control="checkbox", index=0)
    internet = by_text(fedramp, "Does the system require authentication via the Internet?")
    assert internet.answer_type == "yes_no" and internet.options == ("Yes", "No")
    assert internet.answer_location == cell(10, 1, 0, control="checkbox", index=0)
    assert by_text(fedramp, "Confidentiality").options == ("Low", "Moderate", "High")
    status = by_text(fedramp, "System Status")
    assert status.options == ("Operational", "Under Development", "Major Modification", "Other")
    titles = [q for q in system if q.text == "Title"]
    assert [q.existing_answer for q in titles] == [None, None, None, None, "ISSO"]
    reasons = Counter(s.reason for s in fedramp.skipped)
    assert reasons["data_table"] == 9  # inventories and lists to add rows to
    assert reasons["reference_table"] == 6


# --- small documents built here ---------------------------------------------------------------


def to_bytes(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def legacy_checkbox(checked: bool) -> str:
    return (f'<w:r {W}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val=""/>'
            f'<w:enabled/><w:checkBox><w:sizeAuto/><w:default w:val="{int(checked)}"/>'
            '</w:checkBox></w:ffData></w:fldChar></w:r>'
            f'<w:r {W}><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
            f'<w:r {W}><w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r {W}><w:fldChar w:fldCharType="end"/></w:r>')


def run(text: str) -> str:
    return f'<w:r {W}><w:t xml:space="preserve">{text}</w:t></w:r>'


def dropdown(items: list[str], chosen: str | None) -> str:
    entries = '<w:listItem w:displayText="Choose an item." w:value=""/>' + "".join(
        f'<w:listItem w:displayText="{i}" w:value="{i}"/>' for i in items)
    placeholder = "<w:showingPlcHdr/>" if chosen is None else ""
    return (f'<w:sdt {W}><w:sdtPr>{placeholder}<w:dropDownList>{entries}'
            f'</w:dropDownList></w:sdtPr><w:sdtContent><w:r><w:t>{chosen or "Choose an item."}'
            '</w:t></w:r></w:sdtContent></w:sdt>')


def append_xml(paragraph: docx.text.paragraph.Paragraph, xml: str) -> None:
    for element in parse_xml(f'<w:wrap {W}>{xml}</w:wrap>'):
        paragraph._p.append(element)


def grid_document() -> bytes:
    document = docx.Document()
    document.add_heading("Vendor security questionnaire", level=1)
    table = document.add_table(rows=6, cols=4)
    rows = [["ID", "Question", "Answer", "Comments"],
            ["Access control", "", "", ""],
            ["AC-01", "Do you enforce multi-factor authentication?", "Yes", "For all staff"],
            ["AC-02", "Describe your password policy.", "", ""],
            ["ID", "Question", "Answer", "Comments"],
            ["DP-01", "Do you encrypt data at rest?", "", ""]]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    section = table.cell(1, 0).merge(table.cell(1, 3))
    section.text = "Access control"
    return to_bytes(document)


def test_grid_with_merged_section_row_and_repeated_header() -> None:
    result = parse(grid_document())
    assert [q.ref for q in result.questions] == ["AC-01", "AC-02", "DP-01"]
    mfa = result.questions[0]
    assert mfa.text == "Do you enforce multi-factor authentication?"
    assert mfa.section == "Access control"
    assert mfa.answer_type == "yes_no"
    assert (mfa.answer_location, mfa.comment_location) == (cell(0, 2, 2), cell(0, 2, 3))
    assert (mfa.existing_answer, mfa.existing_comment) == ("Yes", "For all staff")
    assert result.questions[1].existing_answer is None
    assert result.questions[2].answer_location == cell(0, 5, 2)
    reasons = Counter(s.reason for s in result.skipped)
    assert reasons["header_row"] == 2 and reasons["section_header"] == 1


def numbered_document() -> bytes:
    document = docx.Document()
    document.add_heading("Data protection", level=1)
    document.add_paragraph("Answer every question below.")
    document.add_paragraph("1. Do you encrypt customer data at rest? ____________")
    document.add_paragraph("2. Describe your backup process.")
    document.add_paragraph("")
    document.add_paragraph("3. Have you had a data breach in the last three years?")
    document.add_paragraph("[Enter your answer]")
    document.add_paragraph("4. Do you hold a SOC 2 report?")
    document.add_paragraph("Yes, a type II report since 2021.")
    checkbox_question = document.add_paragraph("5. Do you screen employees? ")
    append_xml(checkbox_question, legacy_checkbox(True) + run(" Yes ") + legacy_checkbox(False)
               + run(" No"))
    return to_bytes(document)


def test_numbered_paragraph_questionnaire() -> None:
    result = parse(numbered_document())
    assert [q.ref for q in result.questions] == ["1", "2", "3", "4", "5"]
    encrypt, backup, breach, soc2, screening = result.questions
    assert encrypt.text == "Do you encrypt customer data at rest?"
    assert encrypt.section == "Data protection"
    assert encrypt.answer_location == Location(kind="paragraph", paragraph=2,
                                               control="placeholder", index=0)
    assert backup.answer_location == Location(kind="paragraph", paragraph=4)
    assert backup.answer_type == "text"
    assert breach.answer_location == Location(kind="paragraph", paragraph=6)
    assert breach.existing_answer is None
    assert soc2.existing_answer == "Yes, a type II report since 2021."
    assert screening.options == ("Yes", "No")
    assert screening.existing_answer == "Yes"
    assert screening.answer_location == Location(kind="paragraph", paragraph=9,
                                                 control="checkbox", index=0)
    assert any(s.reason == "placeholder" and s.text == "[Enter your answer]"
               for s in result.skipped)


def controls_document() -> bytes:
    document = docx.Document()
    document.add_heading("Hosting", level=1)
    hosting = document.add_paragraph("Hosting model: ")
    append_xml(hosting, dropdown(["Cloud", "On premises", "Hybrid"], None))
    region = document.add_paragraph("Primary region: ")
    append_xml(region, dropdown(["EU", "US"], "EU"))
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Do you run a bug bounty?"
    answer = table.cell(0, 1).paragraphs[0]
    append_xml(answer, legacy_checkbox(False) + run(" Yes ") + legacy_checkbox(True) + run(" No"))
    table.cell(1, 0).text = "Is MFA enforced?"
    append_xml(table.cell(1, 1).paragraphs[0],
               f'<w:sdt {nsdecls("w", "w14")}><w:sdtPr><w14:checkbox><w14:checked w14:val="1"/>'
               '</w14:checkbox></w:sdtPr><w:sdtContent><w:r><w:t>☒</w:t></w:r></w:sdtContent>'
               '</w:sdt>' + run(" Enforced"))
    return to_bytes(document)


def test_content_controls_and_checkboxes() -> None:
    result = parse(controls_document())
    hosting, region, bounty, mfa = result.questions
    assert hosting.text == "Hosting model"
    assert hosting.options == ("Cloud", "On premises", "Hybrid")  # not "Choose an item."
    assert hosting.answer_type == "choice"
    assert hosting.existing_answer is None  # showing its placeholder
    assert hosting.answer_location == Location(kind="paragraph", paragraph=1,
                                               control="content_control", index=0)
    assert region.existing_answer == "EU"
    assert bounty.options == ("Yes", "No") and bounty.existing_answer == "No"
    assert bounty.answer_location == cell(0, 0, 1, control="checkbox", index=0)
    assert mfa.options == ("Enforced",) and mfa.existing_answer == "Enforced"


def forms_document() -> bytes:
    document = docx.Document()
    document.add_paragraph("What is your company's legal name?")
    document.element.body.insert(1, parse_xml(
        f'<w:sdt {W}><w:sdtPr><w:showingPlcHdr/><w:text/></w:sdtPr><w:sdtContent><w:p><w:r>'
        '<w:t>Click or tap here to enter text.</w:t></w:r></w:p></w:sdtContent></w:sdt>'))
    document.add_paragraph("Which frameworks do you comply with?")
    for label, ticked in (("ISO 27001", True), ("SOC 2", False), ("PCI DSS", True)):
        append_xml(document.add_paragraph(), legacy_checkbox(ticked) + run(f" {label}"))
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "Contacts"
    inner = outer.cell(0, 1).add_table(rows=2, cols=2)
    inner.cell(0, 0).text = "Security contact"
    inner.cell(1, 0).text = "Privacy contact"
    document.add_table(rows=2, cols=1).cell(0, 0).text = "Describe your SDLC."
    return to_bytes(document)


def test_block_controls_option_lines_and_nested_tables() -> None:
    result = parse(forms_document())
    name, frameworks, security, privacy, sdlc = result.questions
    assert name.question_location == Location(kind="paragraph", paragraph=0)
    assert name.answer_location == Location(kind="paragraph", paragraph=1,
                                            control="content_control", index=0)
    assert name.existing_answer is None
    assert frameworks.options == ("ISO 27001", "SOC 2", "PCI DSS")
    assert frameworks.existing_answer == "ISO 27001; PCI DSS"
    assert frameworks.answer_location == Location(kind="paragraph", paragraph=3,
                                                  control="checkbox", index=0)
    # tables are numbered in document order, the nested one right after its parent
    assert (security.text, security.answer_location) == ("Security contact", cell(1, 0, 1))
    assert privacy.answer_location == cell(1, 1, 1)
    assert (sdlc.text, sdlc.answer_location) == ("Describe your SDLC.", cell(2, 1, 0))
    # a cell holding a nested table is no answer slot for the label beside it
    assert [(s.reason, s.text) for s in result.skipped] == [("reference_table", "Contacts")]


def test_table_limit() -> None:
    with pytest.raises(IngestError, match="over the limit"):
        parse_docx(grid_document(), replace(DEFAULT_LIMITS, max_tables=0))


def test_corrupt_documents_raise_ingest_error() -> None:
    good = grid_document()
    for data in (good[: len(good) // 2], b"PK\x03\x04 not a zip at all",
                 _replace_member(good, "word/document.xml", b"<w:document><unclosed")):
        with pytest.raises(IngestError) as error:
            parse(data)
        assert "\n" not in str(error.value)


def _replace_member(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == name else source.read(info))
    return out.getvalue()


# --- filled forms: the slots of the blank form, with what is written in them -----------------

HINT = "Click or tap here to enter text."


def filled_form_document(filled: bool) -> bytes:
    """A form as a template ships it, or with a vendor's answers written into every slot (one
    slot keeps the template's hint)."""
    def value(text: str) -> str:
        return text if filled else ""

    document = docx.Document()
    document.add_heading("Supplier assurance", level=1)
    backups = document.add_table(rows=2, cols=1)  # table 0: prompt row over an answer row
    backups.cell(0, 0).text = "Describe how you back up customer data."
    backups.cell(1, 0).text = value("Nightly encrypted backups to a second region.")
    logging = document.add_table(rows=2, cols=1)  # table 1: the answer row shows a hint
    logging.cell(0, 0).text = "Describe how you retain security logs."
    logging.cell(1, 0).text = HINT
    contacts = document.add_table(rows=3, cols=2)  # table 2: label | value
    for r, (label, answer) in enumerate((("Company name", "Acme Hosting Ltd"),
                                         ("Security contact", "Jane Doe"),
                                         ("Phone number", "+44 20 7946 0000"))):
        contacts.cell(r, 0).text = label
        contacts.cell(r, 1).text = value(answer)
    risks = document.add_table(rows=2, cols=3)  # table 3: a header row over one answer row
    for c, (header, answer) in enumerate((("Risk", "Supplier breach"),
                                          ("Likelihood of harm", "Remote"),
                                          ("Severity of harm", "Significant"))):
        risks.cell(0, c).text = header
        risks.cell(1, c).text = value(answer)
    matrix = document.add_table(rows=3, cols=3)  # table 4: checkbox matrix, boxes unlabelled
    for c, header in enumerate(("Yes", "No", "Question")):
        matrix.cell(0, c).text = header
    for r, (question, ticked) in enumerate((("Do you encrypt data at rest?", 0),
                                            ("Do you allow remote access?", 1)), start=1):
        for c in (0, 1):
            append_xml(matrix.cell(r, c).paragraphs[0], legacy_checkbox(filled and c == ticked))
        matrix.cell(r, 2).text = question
    advice = document.add_table(rows=3, cols=2)  # table 5: answered in the label's own cell
    advice.cell(0, 0).text = "Approved by:"
    advice.cell(0, 1).text = value("John Smith (CISO)")
    comments = advice.cell(1, 0).merge(advice.cell(1, 1))
    comments.text = "Comments:"
    summary = advice.cell(2, 0).merge(advice.cell(2, 1))
    summary.text = "Summary of advice:"
    if filled:
        summary.add_paragraph("Proceed once the backup test is done.")
        comments.add_paragraph("Reviewed again in June.")
    return to_bytes(document)


def test_filled_form_keeps_the_blank_forms_slots() -> None:
    blank, filled = parse(filled_form_document(False)), parse(filled_form_document(True))
    assert len(blank.questions) == 12

    def places(questionnaire: Questionnaire) -> list[tuple[Location, Location, Location | None]]:
        return [(q.question_location, q.answer_location, q.comment_location)
                for q in questionnaire.questions]

    assert places(filled) == places(blank)
    assert all(q.existing_answer is None and q.existing_comment is None
               for q in blank.questions)
    assert [q.existing_answer for q in filled.questions] == [
        "Nightly encrypted backups to a second region.", None,  # the hint is no answer
        "Acme Hosting Ltd", "Jane Doe", "+44 20 7946 0000",
        "Supplier breach", "Remote", "Significant",
        "Yes", "No",
        "John Smith (CISO)", "Proceed once the backup test is done."]
    approved = by_text(filled, "Approved by")
    assert approved.comment_location == cell(5, 1, 0)
    assert approved.existing_comment == "Reviewed again in June."


def test_filled_prompt_answer_and_label_value_rows() -> None:
    filled = parse(filled_form_document(True))
    backups = by_text(filled, "Describe how you back up customer data.")
    assert (backups.question_location, backups.answer_location) == (cell(0, 0, 0), cell(0, 1, 0))
    assert backups.existing_answer == "Nightly encrypted backups to a second region."
    logging = by_text(filled, "Describe how you retain security logs.")
    assert logging.answer_location == cell(1, 1, 0) and logging.existing_answer is None
    contact = by_text(filled, "Security contact")
    assert (contact.question_location, contact.answer_location) == (cell(2, 1, 0), cell(2, 1, 1))
    assert contact.existing_answer == "Jane Doe"
    summary = by_text(filled, "Summary of advice")
    assert summary.answer_location == summary.question_location == cell(5, 2, 0)
    assert summary.existing_answer == "Proceed once the backup test is done."


def test_ticked_unlabelled_checkbox_in_a_matrix() -> None:
    filled = parse(filled_form_document(True))
    encrypt = by_text(filled, "Do you encrypt data at rest?")
    assert encrypt.options == ("Yes", "No")
    assert encrypt.answer_location == cell(4, 1, 0, control="checkbox", index=0)
    assert encrypt.existing_answer == "Yes"
    remote = by_text(filled, "Do you allow remote access?")
    assert remote.answer_location == cell(4, 2, 0, control="checkbox", index=0)
    assert remote.existing_answer == "No"
    assert by_text(parse(filled_form_document(False)),
                   "Do you allow remote access?").existing_answer is None
