"""Fillable PDF forms (AcroForm): a form built here with each trap of the layout (meaningless
field names, yes/no radio buttons exported as 0/1, a list, a lone checkbox labelled on its
right, guidance lines under an item that belong to its one box, an unlabelled title field),
the FedRAMP JAB business case form of the corpus, and the round trip of each: the answers
written into the form's own fields and read back."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader

from service.ingest import Location, Questionnaire, parse

from .roundtrip import assert_reads_back, fill
from .test_ingest_pdf import Page

JAB = "pdf/FedRAMP_JAB_BusinessCase_Form.pdf"
_ON = "<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Length 22 >>\nstream\n" \
      "0 g 3 3 4 4 re f\n\nendstream"
_OFF = "<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Length 0 >>\nstream\n\nendstream"


def _rect(x0: float, top: float, x1: float, bottom: float) -> str:
    return f"[{x0} {792 - bottom} {x1} {792 - top}]"


def form_pdf() -> bytes:
    """One page: printed labels, and the fields beside or under them."""
    page = Page().text(200, 16, "Supplier assurance form", size=14)
    page.text(54, 120, "1.1 Company name:")
    page.text(54, 150, "1.2 Hosting region:")
    page.text(54, 180, "1.3 Do you encrypt data at rest?").text(262, 180, "No")
    page.text(312, 180, "Yes")
    page.text(54, 210, "1.4").text(92, 210, "We confirm the answers given are accurate.")
    page.text(54, 250, "2. Incident response:")
    page.text(54, 290, "In the box below, describe how you handle an incident. Include:")
    page.text(72, 303, "1) How incidents are detected")
    page.text(72, 316, "2) Who is told, and how soon")
    # objects: 1 catalog, 2 pages, 3 font, 4 page, 5 contents, then 6 on, 7 off, fields from 8
    fields = {
        8: f"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Text1) /Rect {_rect(300, 60, 560, 80)}"
           " /V (Insert company name) /DA (/Helv 10 Tf 0 g) /P 4 0 R >>",
        9: f"<< /Type /Annot /Subtype /Widget /FT /Tx /T (fld_a) /Rect {_rect(150, 116, 400, 132)}"
           " /DA (/Helv 10 Tf 0 g) /P 4 0 R >>",
        10: f"<< /Type /Annot /Subtype /Widget /FT /Ch /Ff 131072 /T (Dropdown3) "
            f"/Rect {_rect(150, 146, 300, 162)} /Opt [[(eu) (EU)] [(us) (US)] [(apac) (APAC)]]"
            " /DA (/Helv 10 Tf 0 g) /P 4 0 R >>",
        11: "<< /FT /Btn /Ff 49152 /T (Group7) /V /Off /Kids [12 0 R 13 0 R] >>",
        12: f"<< /Type /Annot /Subtype /Widget /Parent 11 0 R /Rect {_rect(248, 179, 258, 189)}"
            " /AS /Off /AP << /N << /0 6 0 R /Off 7 0 R >> >> /P 4 0 R >>",
        13: f"<< /Type /Annot /Subtype /Widget /Parent 11 0 R /Rect {_rect(298, 179, 308, 189)}"
            " /AS /Off /AP << /N << /1 6 0 R /Off 7 0 R >> >> /P 4 0 R >>",
        14: f"<< /Type /Annot /Subtype /Widget /FT /Btn /T (Check Box12) "
            f"/Rect {_rect(76, 209, 86, 219)} /V /Off /AS /Off "
            "/AP << /N << /Yes 6 0 R /Off 7 0 R >> >> /P 4 0 R >>",
        15: f"<< /Type /Annot /Subtype /Widget /FT /Tx /Ff 4096 /T (TextField9) "
            f"/Rect {_rect(54, 335, 560, 500)} /DA (/Helv 10 Tf 0 g) /P 4 0 R >>",
    }
    widgets = [8, 9, 10, 12, 13, 14, 15]
    stream = "\n".join(page.ops)
    objects = [
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [8 0 R 9 0 R 10 0 R 11 0 R 14 0 R "
        "15 0 R] /DA (/Helv 10 Tf 0 g) /DR << /Font << /Helv 3 0 R >> >> >> >>",
        "<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R "
        f">> >> /Contents 5 0 R /Annots [{' '.join(f'{n} 0 R' for n in widgets)}] >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
        _ON, _OFF, *fields.values()]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)


@pytest.fixture(scope="module")
def form(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("form") / "supplier_form.pdf"
    path.write_bytes(form_pdf())
    return path


def field(name: str, box: tuple[float, float, float, float]) -> Location:
    return Location(kind="field", field=name, page=1, box=box)


def test_each_field_is_labelled_by_the_text_beside_it(form: Path) -> None:
    found = parse(form)
    assert [(q.ref, q.text, q.options) for q in found.questions] == [
        ("1.1", "Company name", ()),
        ("1.2", "Hosting region", ("EU", "US", "APAC")),
        ("1.3", "Do you encrypt data at rest?", ("No", "Yes")),
        ("1.4", "We confirm the answers given are accurate.", ("Yes",)),
        ("2", "Incident response: In the box below, describe how you handle an incident. "
              "Include: 1) How incidents are detected 2) Who is told, and how soon", ()),
    ]
    assert found.questions[0].answer_location == field("fld_a", (150.0, 116.0, 400.0, 132.0))
    assert found.questions[2].answer_type == "yes_no"
    assert all(q.existing_answer is None for q in found.questions)
    assert [(s.reason, s.text) for s in found.skipped if s.reason == "unlabelled_field"] == [
        ("unlabelled_field", "Text1")]


def test_form_round_trip(form: Path, tmp_path: Path, kb) -> None:
    out = tmp_path / "supplier_form_filled.pdf"
    blank, result = fill(form, out, kb)
    assert result.paths == [out]  # the form itself, filled: no side-car
    assert len([w for w in result.written if w.role == "answer"]) == 5
    assert_reads_back(result, out)
    values = {name: f.get("/V") for name, f in PdfReader(out).get_fields().items()}
    assert values["Group7"] == "/1"  # "Yes" is the button exported as 1
    assert values["Dropdown3"] == "APAC" and values["Check Box12"] == "/Yes"
    assert values["Text1"] == "Insert company name"  # an unlabelled field is left alone
    assert [(q.ref, q.answer_location) for q in parse(out).questions] == \
        [(q.ref, q.answer_location) for q in blank.questions]
    _renders(out)


def _renders(path: Path) -> None:
    """Another engine (PDFium) opens the filled form and draws every page with its fields."""
    document = pypdfium2.PdfDocument(str(path))
    document.init_forms()
    for page in document:
        assert page.render(scale=0.5, may_draw_forms=True).to_pil().size[0] > 100


# --- the FedRAMP JAB business case form -----------------------------------------------------


@pytest.fixture(scope="module")
def jab(corpus: Path) -> Questionnaire:
    return parse(corpus / JAB)


def test_jab_14_items_with_their_printed_numbers(jab: Questionnaire) -> None:
    assert sorted(q.ref for q in jab.questions) == sorted(
        ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8a", "1.8b", "1.9", "1.10",
         "1.11", "1.12", "2"])
    by_ref = {q.ref: q for q in jab.questions}
    assert by_ref["1.1"].text == "CSP Name"  # the field is named "1"
    assert by_ref["1.9"].options == ("No", "Yes")  # exported as 0 and 1
    assert by_ref["1.6"].options[-1] == "DoD Cloud"
    assert by_ref["2"].answer_location.field == "CSO aligned"  # named after something else
    assert by_ref["2"].text.startswith("Brief Service Description: In the space below")
    assert "4) Why should the JAB authorize" in by_ref["2"].text
    assert {s.text for s in jab.skipped if s.reason == "unlabelled_field"} == {
        "CSP Name", "Submission date"}


def test_jab_round_trip(corpus: Path, tmp_path: Path, kb) -> None:
    out = tmp_path / "jab_filled.pdf"
    _, result = fill(corpus / JAB, out, kb)
    assert len([w for w in result.written if w.role == "answer"]) == 14
    assert_reads_back(result, out)
    assert PdfReader(out).get_fields()["CSO Ready"].get("/V") == "/1"
    _renders(out)
