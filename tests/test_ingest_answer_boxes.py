"""Word questionnaires that ask in sentences and give each question a box below for its answer
(an empty one-cell table or a content control), with placeholders inside the sentences: the
FedRAMP PIA of the corpus and a document built here with every trap of the layout."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from service.ingest import Location, Questionnaire, parse

from .roundtrip import (
    assert_docx_round_trip,
    assert_libreoffice_opens,
    assert_reads_back,
    docx_slots,
    fill,
)
from .test_ingest_docx import append_xml, run, to_bytes

W = nsdecls("w")
W14 = nsdecls("w", "w14")
PIA = "docx/FedRAMP_PIA_blank.docx"


def cell(table: int, row: int, column: int, **control: object) -> Location:
    return Location(kind="table", table=table, row=row, column=column, **control)  # type: ignore[arg-type]


def paragraph(number: int, **control: object) -> Location:
    return Location(kind="paragraph", paragraph=number, **control)  # type: ignore[arg-type]


def bound_control(text: str) -> str:
    """An inline control showing a document property (Word refills it from the document)."""
    return (f'<w:sdt {W}><w:sdtPr><w:alias w:val="{text}"/><w:dataBinding '
            'w:xpath="/root[1]/company[1]" w:storeItemID="{11111111-2222-3333-4444-555555555555}"/>'
            f'<w:text/></w:sdtPr><w:sdtContent><w:r><w:t>{text}</w:t></w:r></w:sdtContent></w:sdt>')


def placeholder_control(hint: str) -> str:
    return (f'<w:sdt {W}><w:sdtPr><w:showingPlcHdr/><w:text/></w:sdtPr><w:sdtContent><w:r>'
            f'<w:t>{hint}</w:t></w:r></w:sdtContent></w:sdt>')


def block_control(hint: str) -> str:
    return (f'<w:sdt {W}><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:p><w:r>'
            f'<w:t>{hint}</w:t></w:r></w:p></w:sdtContent></w:sdt>')


def add_block(document: docx.document.Document, xml: str) -> None:
    """Body-level XML at the end of the body (before the section properties)."""
    spot = document.add_paragraph()._p
    spot.addprevious(parse_xml(xml))
    spot.getparent().remove(spot)


def checkbox_cell(row, column: int) -> None:
    """Turn a cell into a checkbox content control around the whole cell, showing ☐."""
    tc = row.cells[column]._tc
    tc.clear_content()
    tc.append(parse_xml(f'<w:p {W}><w:r><w:t>☐</w:t></w:r></w:p>'))
    sdt = parse_xml(f'<w:sdt {W14}><w:sdtPr><w14:checkbox><w14:checked w14:val="0"/>'
                    '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/><w14:uncheckedState '
                    'w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
                    '<w:sdtContent/></w:sdt>')
    tc.addprevious(sdt)
    sdt[-1].append(tc)


def boxes_document() -> bytes:
    document = docx.Document()
    document.add_heading("About this document", level=1)
    particulars = document.add_table(rows=2, cols=2)  # table 0: who to contact, not questions
    particulars.cell(0, 0).text = "Name"
    particulars.cell(1, 0).text = "Email Address"
    document.add_heading("Data protection", level=1)
    asked = document.add_paragraph("Does ")  # paragraph 2: a property inside the sentence
    append_xml(asked, bound_control("Company Name") +
               run(" encrypt customer data at rest? (SC-28)"))
    document.add_table(rows=1, cols=1)  # table 1: its empty box
    document.add_paragraph()
    document.add_paragraph("Who reviews access to customer data, and how often?")  # 4
    document.add_paragraph()
    document.add_table(rows=1, cols=1).cell(0, 0).text = "Instructions: name the role."  # 2
    box = document.add_table(rows=1, cols=1)  # table 3: a box holding a content control
    box.cell(0, 0)._tc.remove(box.cell(0, 0).paragraphs[0]._p)
    box.cell(0, 0)._tc.append(parse_xml(block_control("Click here to enter text.")))
    restore = document.add_paragraph("Describe how ")  # 6: a blank inside the sentence
    append_xml(restore, placeholder_control("Name of organization") +
               run(" tests restores from backup."))
    add_block(document, block_control("Click here to enter text."))  # paragraph 7
    document.add_paragraph("Do you run a bug bounty programme?")  # 8
    document.add_table(rows=1, cols=1).cell(0, 0).text = "Yes, since 2021."  # 4: answered
    document.add_paragraph("What is your recovery time objective?")  # 9
    document.add_table(rows=1, cols=1).cell(0, 0).text = "Click here to enter text."  # 5: hint
    document.add_paragraph("Hosting model")  # 10
    document.add_paragraph("Check one.")  # 11
    hosting = document.add_table(rows=3, cols=2)  # table 6: a checkbox control per cell
    for row, label in zip(hosting.rows, ("Public cloud", "Private cloud\nName the provider.",
                                         "On premises"), strict=True):
        row.cells[1].text = label
        checkbox_cell(row, 0)
    export = document.add_table(rows=5, cols=3)  # table 7: a prompt, its box, then Yes / No
    export.cell(0, 0).merge(export.cell(0, 2)).text = "Can customers export their data?"
    export.cell(1, 0).merge(export.cell(1, 2))
    export.cell(2, 1).text = "Yes"
    export.cell(2, 2).text = "Explain how."
    follow_up = export.cell(3, 2)._tc
    follow_up.remove(export.cell(3, 2).paragraphs[0]._p)
    follow_up.append(parse_xml(block_control("Click here to enter an explanation.")))
    export.cell(4, 1).text = "No"
    checkbox_cell(export.rows[2], 0)
    checkbox_cell(export.rows[4], 0)
    document.add_paragraph("Please send comments on this form to security@example.com.")
    document.add_paragraph()
    return to_bytes(document)


@pytest.fixture(scope="module")
def boxes(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("boxes") / "answer_boxes.docx"
    path.write_bytes(boxes_document())
    return path


def test_each_question_gets_its_own_box(boxes: Path) -> None:
    found = parse(boxes)
    assert [(q.ref, q.text, q.answer_location) for q in found.questions] == [
        ("Q001", "Does Company Name encrypt customer data at rest? (SC-28)", cell(1, 0, 0)),
        ("Q002", "Who reviews access to customer data, and how often?",
         cell(3, 0, 0, control="content_control", index=0)),
        ("Q003", "Describe how Name of organization tests restores from backup.",
         paragraph(7, control="content_control", index=0)),
        ("Q004", "Do you run a bug bounty programme?", cell(4, 0, 0)),
        ("Q005", "What is your recovery time objective?", cell(5, 0, 0)),
        ("Q006", "Hosting model: Check one.", cell(6, 0, 0, control="checkbox", index=0)),
        ("Q007", "Can customers export their data?", cell(7, 2, 0, control="checkbox", index=0)),
    ]
    by_ref = {q.ref: q for q in found.questions}
    assert by_ref["Q001"].question_location == paragraph(2)
    assert by_ref["Q004"].existing_answer == "Yes, since 2021."
    assert all(q.existing_answer is None for q in found.questions if q.ref != "Q004")
    assert by_ref["Q006"].options == ("Public cloud", "Private cloud", "On premises")
    exporting = by_ref["Q007"]
    assert (exporting.answer_type, exporting.options) == ("yes_no", ("Yes", "No"))
    assert exporting.comment_location == cell(7, 1, 0)
    skipped = {(s.reason, s.text) for s in found.skipped}
    assert {("instruction", "Instructions: name the role."),
            ("form_field", "Name"), ("form_field", "Email Address"),
            ("secondary_field", "Yes"),
            ("instruction", "Please send comments on this form to security@example.com.")
            } <= skipped
    # no placeholder inside a sentence became a slot
    assert not any(q.answer_location.kind == "paragraph" and q.answer_location.paragraph in (2, 6)
                   for q in found.questions)


def test_answer_boxes_round_trip(boxes: Path, tmp_path: Path, kb) -> None:
    out = tmp_path / "answer_boxes_filled.docx"
    blank, result = fill(boxes, out, kb)
    assert len([w for w in result.written if w.role == "answer"]) == 7
    assert_docx_round_trip(boxes, result, out)
    assert_reads_back(result, out)
    filled = parse(out)
    assert [(q.ref, q.question_location, q.answer_location) for q in filled.questions] == \
        [(q.ref, q.question_location, q.answer_location) for q in blank.questions]
    assert docx_slots(out.read_bytes())[cell(0, 0, 1)] == ""  # particulars left alone
    assert_libreoffice_opens([out], tmp_path)


# --- the FedRAMP PIA of the corpus ----------------------------------------------------------


@pytest.fixture(scope="module")
def pia(corpus: Path) -> Questionnaire:
    return parse(corpus / PIA)


def test_pia_37_questions_each_with_its_own_box(pia: Questionnaire) -> None:
    questions = pia.questions
    assert len(questions) == 37
    assert len({q.answer_location for q in questions}) == 37
    boxes = [q for q in questions if q.answer_location.kind == "table" and
             q.question_location.kind == "paragraph" and q.answer_location.control != "checkbox"]
    assert len(boxes) == 33  # and one more answered in a control on the line below
    threshold = questions[0]
    assert threshold.text == "Threshold Analysis: Check one."
    assert len(threshold.options) == 5 and threshold.answer_location.control == "checkbox"
    opt_out = next(q for q in questions if q.text.startswith("If PII fields are used"))
    assert opt_out.options == ("Yes", "No") and opt_out.comment_location is not None


def test_pia_placeholders_inside_sentences_are_words_not_slots(pia: Questionnaire) -> None:
    knowledge = next(q for q in pia.questions if "knowledge of existing federal" in q.text)
    assert knowledge.text.startswith("Does CSP Name have knowledge")
    assert knowledge.answer_location.kind == "table"
    # every slot is a box or a choice, never a control inside a paragraph of text
    assert not [q.ref for q in pia.questions if q.answer_location.kind == "paragraph" and
                q.answer_location == q.question_location]
    cover = {s.text for s in pia.skipped if s.reason == "form_field"}
    assert {"Street Address", "Phone Number", "Email Address"} <= cover
