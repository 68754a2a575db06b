"""PDF ingest: the real corpus files, and small hand-written PDFs for layouts and hostile input."""

from __future__ import annotations

import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from service.ingest.model import IngestError, Questionnaire
from service.ingest.pdf import parse_pdf
from service.ingest.source import Limits
from service.ingest.text import looks_like_id, one_line

LIMITS = Limits()


def _parse(path: Path) -> Questionnaire:
    return parse_pdf(path.read_bytes(), LIMITS)


def _squash(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "").lower()


# ---------------------------------------------------------------------------------------------
# Hand-written PDFs: Helvetica text and stroked lines on US Letter pages


@dataclass
class Page:
    """Drawing commands for one page; `top` is measured from the top edge, like pdfplumber."""

    ops: list[str] = field(default_factory=list)

    def text(self, x: float, top: float, value: str, size: float = 10, rotated: bool = False
             ) -> Page:
        escaped = value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        if rotated:  # a quarter turn counter-clockwise, reading bottom to top from (x, top)
            matrix = f"0 1 -1 0 {x + size} {792 - top}"
            self.ops.append(f"BT /F1 {size} Tf {matrix} Tm ({escaped}) Tj ET")
        else:
            self.ops.append(f"BT /F1 {size} Tf {x} {792 - top - size * 0.8} Td ({escaped}) Tj ET")
        return self

    def line(self, x0: float, top0: float, x1: float, top1: float) -> Page:
        self.ops.append(f"0.5 w {x0} {792 - top0} m {x1} {792 - top1} l S")
        return self

    def grid(self, xs: list[float], tops: list[float]) -> Page:
        for top in tops:
            self.line(xs[0], top, xs[-1], top)
        for x in xs:
            self.line(x, tops[0], x, tops[-1])
        return self

    def box(self, x: float, top: float, ticked: bool = False) -> Page:
        self.ops.append(f"0.5 w {x} {792 - top - 8} 8 8 re S")
        if ticked:
            self.line(x + 1, top + 1, x + 7, top + 7).line(x + 1, top + 7, x + 7, top + 1)
        return self


def build_pdf(pages: list[Page], extra_objects: list[str] | None = None, trailer: str = "",
              catalog: str = "") -> bytes:
    objects = [f"<< /Type /Catalog /Pages 2 0 R {catalog}>>", "",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for page in pages:
        number = len(objects) + 1
        kids.append(f"{number} 0 R")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
                       f"<< /Font << /F1 3 0 R >> >> /Contents {number + 1} 0 R >>")
        stream = "\n".join(page.ops)
        objects.append(f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\n"
                       "endstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    objects += extra_objects or []
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R {trailer}>>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)


def _ruled_two_page_table() -> bytes:
    """A ruled table whose header is printed again on page 2 and whose last row on page 1
    runs on at the top of page 2; the answer column's header is turned a quarter turn."""
    columns = [50, 120, 380, 450, 560]

    def page_with_header() -> Page:
        page = Page().text(55, 64, "ID").text(125, 64, "Question").text(455, 64, "Comments")
        return page.text(385, 100, "Answer", rotated=True)

    first = page_with_header()
    rows = [("AC-01", "Do you enforce multi-factor authentication?", "Yes", ""),
            ("AC-02", "Do you review access rights quarterly?", "No", "Planned for Q3"),
            ("AC-03", "Describe how privileged access is granted and", "Yes", "Through a ticket")]
    tops = [60, 110]
    for i, (ref, question, answer, comment) in enumerate(rows):
        top = 110 + 30 * i
        first.text(55, top + 4, ref).text(125, top + 4, question).text(385, top + 4, answer)
        first.text(455, top + 4, comment)
        tops.append(top + 30)
    first.grid(columns, tops).text(280, 760, "Page 1 of 2")
    second = page_with_header()
    second.text(125, 114, "revoked in your organisation.").text(455, 114, "and reviewed.")
    second.text(55, 144, "AC-04").text(125, 144, "Is remote access logged?").text(385, 144, "Yes")
    second.grid(columns, [60, 110, 140, 170]).text(280, 760, "Page 2 of 2")
    return build_pdf([first, second])


def _unruled_sheet(rows: list[tuple[list[str], list[str], list[str], list[str]]],
                   footer: str) -> Page:
    """A spreadsheet printed without gridlines: four columns, wrapped cells, a running title."""
    page = Page().text(200, 30, "Vendor Security Questionnaire", size=9)
    page.text(50, 80, "ID").text(110, 80, "Question").text(380, 80, "Response")
    page.text(450, 80, "Notes")
    top = 96.0
    for cells in rows:
        for x, lines in zip((50, 110, 380, 450), cells, strict=True):
            for i, line in enumerate(lines):
                page.text(x, top + 11 * i, line)
        top += 11 * max(len(lines) for lines in cells) + 6
    return page.text(290, 760, footer)


def _unruled_two_pages() -> bytes:
    first = _unruled_sheet([
        (["A&A-", "05.1"], ["Do you conduct independent audits", "of your security program?"],
         ["Yes"], ["SOC 2 Type II,", "ISO 27001"]),
        (["A&A-06"], ["Are audit findings tracked to closure?"], ["No"], []),
        (["Governance"], [], [], []),
        (["GRM-01"], ["Is there a named owner for", "information security policy?"], ["Yes"],
         ["The CISO"]),
        (["GRM-02"], ["Describe your risk assessment method."], ["Annual, ISO"], []),
    ], "1")
    second = _unruled_sheet([
        ([], [], ["27005 based"], []),  # the last row of page 1, running on
        (["GRM-03"], ["Do you maintain an asset inventory?"], ["Yes"], []),
        (["GRM-04"], ["Are exceptions to policy approved", "and recorded?"], [], []),
    ], "2")
    return build_pdf([first, second])


# ---------------------------------------------------------------------------------------------
# Real files


@pytest.fixture(scope="module")
def hecvat(corpus: Path) -> Questionnaire:
    return _parse(corpus / "pdf" / "HECVAT_Lite_v3.04_CanvasStudio_printed.pdf")


@pytest.fixture(scope="module")
def dpia(corpus: Path) -> Questionnaire:
    return _parse(corpus / "pdf" / "UK_ICO_DPIA_template_GDPR_blank.pdf")


@pytest.fixture(scope="module")
def pci(corpus: Path) -> Questionnaire:
    return _parse(corpus / "pdf" / "PCI_DSS_AOC_SAQ-D_ServiceProvider_filled.pdf")


def _workbook_rows(path: Path) -> dict[str, tuple[object, ...]]:
    openpyxl = pytest.importorskip("openpyxl")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about the extensions it drops
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = next(ws for ws in workbook.worksheets if "Vendor Response" in ws.title)
    rows = {str(row[0]): row for row in sheet.iter_rows(values_only=True)
            if row and row[0] and re.fullmatch(r"[A-Z]{4}-\d\d", str(row[0]))}
    workbook.close()
    return rows


def test_hecvat_printed_rows_rebuilt_from_word_positions(hecvat: Questionnaire) -> None:
    refs = [q.ref for q in hecvat.questions]
    assert len(refs) >= 93
    assert len(refs) == len(set(refs)), "no duplicate rows"
    assert all(looks_like_id(q.ref) and not q.ref_generated for q in hecvat.questions)
    assert hecvat.format == "pdf"
    for question in hecvat.questions:
        for location in (question.question_location, question.answer_location):
            assert location.kind == "page" and location.page and location.box
            x0, top, x1, bottom = location.box
            assert x0 < x1 and top < bottom
    assert not any(s.reason == "page_header" for s in hecvat.skipped)


def test_hecvat_printed_answers_match_the_workbook(hecvat: Questionnaire, corpus: Path) -> None:
    workbook = _workbook_rows(corpus / "xlsx" / "HECVAT_Lite_v3.04_CanvasStudio_filled.xlsx")
    by_ref = {q.ref: q for q in hecvat.questions}
    assert set(by_ref) <= set(workbook)
    assert sum(1 for q in hecvat.questions if q.existing_answer) >= 92
    for ref in ("GNRL-01", "GNRL-04", "GNRL-08", "COMP-01", "COMP-02", "DOCU-01", "HLAA-08",
                "HLSY-01", "HLTP-04"):
        _, question, answer, comment = workbook[ref][:4]
        found = by_ref[ref]
        assert _squash(found.text) == _squash(str(question)), ref
        assert _squash(found.existing_answer) == _squash(str(answer)), ref
        assert _squash(found.existing_comment) == _squash(str(comment or "")), ref
    assert by_ref["COMP-07"].existing_answer is None  # the one question left unanswered


def test_hecvat_printed_layout_details(hecvat: Questionnaire) -> None:
    by_ref = {q.ref: q for q in hecvat.questions}
    # section names wrapped inside the narrow ID column are joined and become sections
    assert by_ref["DOCU-01"].section == "Documentation"
    assert by_ref["HLSY-01"].section == "Systems Management"
    comp = by_ref["COMP-03"]
    assert comp.answer_type == "yes_no"
    assert comp.answer_location.page == 5
    assert comp.answer_location.box[0] > comp.question_location.box[2] - 1  # answer right of it
    assert comp.comment_location is not None and comp.comment_location.page == 5


def test_dpia_template_fields(dpia: Questionnaire) -> None:
    texts = [q.text for q in dpia.questions]
    assert 18 <= len(texts) <= 30
    assert "Name of controller" in texts and "Summary of DPO advice" in texts
    assert not any(t.startswith(("Step ", "DPIA template", "Sample DPIA")) for t in texts)
    assert all(q.existing_answer is None for q in dpia.questions), "a blank template"
    explain = next(q for q in dpia.questions if q.text.startswith("Explain broadly"))
    assert explain.answer_location.page == 2
    assert explain.answer_location.box[1] >= explain.question_location.box[3] - 1  # below it
    likelihood = next(q for q in dpia.questions if q.text == "Likelihood of harm")
    assert likelihood.options == ("Remote", "possible", "probable")
    assert {s.reason for s in dpia.skipped} >= {"page_footer", "section_header"}


def test_pci_attestation_form_items(pci: Questionnaire) -> None:
    questions = pci.questions
    assert 40 <= len(questions) <= 100
    texts = [q.text for q in questions]
    assert not any(re.search(r"DocuSign|All Rights Reserved|Page \d", t) for t in texts)
    by_text = {q.text: q for q in reversed(questions)}  # first occurrence wins
    assert by_text["Company Name"].existing_answer == "Instructure, Inc."
    assert by_text["URL"].existing_answer == "https://www.instructure.com/"
    services = by_text["Type of service(s) assessed"]
    assert services.existing_answer == "Internet / e-commerce"
    assert len(services.options) >= 25
    compensating = next(q for q in questions if q.text.startswith("Have compensating controls"))
    assert (compensating.options, compensating.existing_answer) == (("Yes", "No"), "No")
    assert by_text["Requirement 2"].existing_answer == "Partial"
    assert by_text["Requirement 1"].existing_comment.startswith("With consideration of PCI")
    action_plan = [q for q in questions if q.ref and not q.ref_generated]
    # twelve numbered requirements, then the two appendices labelled by name
    expected = [str(n) for n in range(1, 13)] + ["Appendix A1", "Appendix A2"]
    assert [q.ref for q in action_plan] == expected
    assert all(q.existing_answer == "YES" for q in action_plan)
    unticked = next(q for q in questions if q.text.startswith("I have confirmed with my payment"))
    assert unticked.existing_answer is None
    assert not any("Document Changes" in q.section for q in questions), "a change log"


def test_pages_are_read_quickly(corpus: Path) -> None:
    path = corpus / "pdf" / "UK_ICO_DPIA_template_GDPR_blank.pdf"  # 9 pages
    started = time.perf_counter()
    _parse(path)
    assert (time.perf_counter() - started) / 9 < 0.3


# ---------------------------------------------------------------------------------------------
# Layouts, generated


def test_ruled_table_over_two_pages() -> None:
    result = parse_pdf(_ruled_two_page_table(), LIMITS)
    assert [q.ref for q in result.questions] == ["AC-01", "AC-02", "AC-03", "AC-04"]
    split = result.questions[2]
    assert split.text == ("Describe how privileged access is granted and revoked in your "
                          "organisation.")
    assert split.existing_comment == "Through a ticket and reviewed."
    assert [q.existing_answer for q in result.questions] == ["Yes", "No", "Yes", "Yes"]
    assert result.questions[0].answer_location.box == (380, 110, 450, 140)
    assert result.questions[3].answer_location.page == 2
    assert [s.reason for s in result.skipped].count("header_row") == 1
    assert [s.reason for s in result.skipped].count("repeated_header") == 1
    assert any(s.reason == "page_footer" and s.text == "Page 1 of 2" for s in result.skipped)


def test_unruled_table_rebuilt_from_word_positions() -> None:
    result = parse_pdf(_unruled_two_pages(), LIMITS)
    assert [q.ref for q in result.questions] == ["A&A-05.1", "A&A-06", "GRM-01", "GRM-02",
                                                 "GRM-03", "GRM-04"]
    first, _, owner, method, _, last = result.questions
    assert first.text == "Do you conduct independent audits of your security program?"
    assert (first.existing_answer, first.existing_comment) == ("Yes", "SOC 2 Type II, ISO 27001")
    assert owner.section == "Governance" and owner.existing_comment == "The CISO"
    assert method.existing_answer == "Annual, ISO 27005 based"  # continued on page 2
    assert last.existing_answer is None and last.answer_location.page == 2
    reasons = {s.reason for s in result.skipped}
    assert {"page_header", "page_footer", "repeated_header", "section_header"} <= reasons
    assert not any("Vendor Security" in q.text for q in result.questions)


def test_table_ruled_only_between_rows_reads_columns_from_the_text() -> None:
    page = Page().text(50, 84, "Ref").text(110, 84, "Control question").text(400, 84, "Answer")
    page.text(460, 84, "Comment").line(45, 80, 560, 80)
    for i, (ref, question, answer) in enumerate([("1.1", "Is data encrypted at rest?", "Yes"),
                                                 ("1.2", "Are keys rotated yearly?", "No"),
                                                 ("1.3", "Do you use an HSM?", "")]):
        top = 100 + 20 * i
        page.line(45, top, 560, top).text(50, top + 5, ref).text(110, top + 5, question)
        page.text(400, top + 5, answer)
    page.line(45, 160, 560, 160)
    result = parse_pdf(build_pdf([page]), LIMITS)
    assert [(q.ref, q.existing_answer) for q in result.questions] == [
        ("1.1", "Yes"), ("1.2", "No"), ("1.3", None)]
    assert result.questions[2].answer_location.box[0] == pytest.approx(399, abs=2)
    assert result.questions[2].comment_location is not None


def test_form_labels_check_boxes_and_prompts() -> None:
    page = Page()
    page.text(55, 64, "Company Name:").text(205, 64, "Acme Ltd").text(355, 64, "Title: CISO")
    page.text(55, 84, "Is data stored outside the EU?").box(360, 84).text(372, 84, "Yes")
    page.box(410, 84, ticked=True).text(422, 84, "No")
    page.text(55, 104, "Describe your backup strategy:")
    page.grid([50, 200, 350, 560], [60, 80]).grid([50, 350, 560], [80, 100])
    page.grid([50, 560], [100, 120, 200])
    page.text(55, 230, "Do you use multi-factor authentication?").box(300, 230, ticked=True)
    page.text(312, 230, "Yes").box(350, 230).text(362, 230, "No")  # outside any table
    result = parse_pdf(build_pdf([page]), LIMITS)
    found = {q.text: q for q in result.questions}
    assert set(found) == {"Company Name", "Title", "Is data stored outside the EU?",
                          "Describe your backup strategy",
                          "Do you use multi-factor authentication?"}
    assert found["Do you use multi-factor authentication?"].existing_answer == "Yes"
    assert found["Company Name"].existing_answer == "Acme Ltd"
    assert found["Title"].existing_answer == "CISO"
    stored = found["Is data stored outside the EU?"]
    assert (stored.answer_type, stored.options, stored.existing_answer) == ("yes_no",
                                                                           ("Yes", "No"), "No")
    backup = found["Describe your backup strategy"]
    assert backup.answer_location.box == (50, 120, 560, 200)
    assert all(q.ref == "" and q.ref_generated for q in result.questions)


def test_ids_wrapped_after_a_hyphen_in_a_ruled_cell() -> None:
    page = Page().text(55, 64, "ID").text(105, 64, "Question").text(405, 64, "Answer")
    page.text(55, 84, "A&A-").text(55, 95, "05.1").text(105, 84, "Is there an audit plan?")
    page.text(405, 84, "Yes").text(55, 114, "A&A-").text(55, 125, "06").text(405, 114, "No")
    page.text(105, 114, "Are audit results shared").text(105, 125, "with customers?")
    page.grid([50, 100, 400, 500], [60, 80, 110, 140])
    result = parse_pdf(build_pdf([page]), LIMITS)
    assert [(q.ref, one_line(q.text), q.existing_answer) for q in result.questions] == [
        ("A&A-05.1", "Is there an audit plan?", "Yes"),
        ("A&A-06", "Are audit results shared with customers?", "No")]


# ---------------------------------------------------------------------------------------------
# Hostile and broken input: one clear IngestError, nothing else


def _simple_form() -> bytes:
    page = Page().text(55, 64, "Company Name:").text(205, 64, "Acme Ltd")
    return build_pdf([page.grid([50, 200, 350], [60, 80])])


def test_truncated_pdf() -> None:
    data = _simple_form()
    with pytest.raises(IngestError, match="truncated"):
        parse_pdf(data[: len(data) // 2], LIMITS)


def test_not_really_a_pdf() -> None:
    with pytest.raises(IngestError, match="corrupt or unreadable"):
        parse_pdf(b"%PDF-1.4\nnot a PDF body at all\n%%EOF\n", LIMITS)


def test_pdf_without_text_layer() -> None:
    drawing = Page().line(100, 100, 300, 100).line(100, 100, 100, 300)
    with pytest.raises(IngestError, match=r"no text layer.*OCR is not supported") as error:
        parse_pdf(build_pdf([drawing]), LIMITS)
    assert "\n" not in str(error.value)


def test_page_limit() -> None:
    data = build_pdf([Page().text(50, 50, "first"), Page().text(50, 50, "second")])
    with pytest.raises(IngestError, match="2 pages, over the limit of 1"):
        parse_pdf(data, Limits(max_pages=1))


def test_password_protected_pdf() -> None:
    security = f"<< /Filter /Standard /V 1 /R 2 /O <{'00' * 32}> /U <{'11' * 32}> /P -4 >>"
    file_id = "<0123456789abcdef0123456789abcdef>"
    data = build_pdf([Page().text(50, 50, "secret")], extra_objects=[security],
                     trailer=f"/Encrypt 6 0 R /ID [{file_id} {file_id}] ")
    with pytest.raises(IngestError, match="encrypted"):
        parse_pdf(data, LIMITS)


def test_javascript_is_not_run() -> None:
    page = Page().text(55, 64, "Company Name:").text(205, 64, "Acme Ltd").grid([50, 200, 350],
                                                                               [60, 80])
    data = build_pdf([page], extra_objects=["<< /S /JavaScript /JS (app.alert\\(1\\)) >>"],
                     catalog="/OpenAction 6 0 R ")
    result = parse_pdf(data, LIMITS)
    assert [q.existing_answer for q in result.questions] == ["Acme Ltd"]
    assert any("JavaScript" in notice for notice in result.notices)
