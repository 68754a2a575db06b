"""Printed PDF tables with no answer column: requirements under printed IDs ("1.a", "1.f.ii"),
sub-items printed as "- …" rows, words broken at a cell's edge; and IDs that run with holes,
which a notice names (in the result, so in the CLI and on the questionnaire page)."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

from service.cli import main
from service.controls import load_knowledge_base
from service.export import export_filled
from service.ingest import parse
from service.settings import KNOWLEDGE_DIR

from .roundtrip import answered_with
from .test_ingest_pdf import Page, build_pdf

REQUIREMENTS = [
    ("1.a", ["The supplier maintains an information security policy", "approved by management."]),
    ("1.b", ["The supplier assigns its security and privacy responsibiliti",
             "es to named roles."]),
    ("", ["- including a security officer"]),
    ("", ["- including a deputy for each office"]),
    ("1.c", ["The supplier reviews the policy every year."]),
    ("1.f.ii", ["Access rights are reviewed every quarter."]),
    ("GOV-01", ["A board member is accountable for security."]),
    ("GOV-02", ["Security risks are reported to the board."]),
    ("GOV-04", ["Security objectives are set every year."]),
    ("GOV-05", ["Progress on the objectives is measured."]),
]


def ruled() -> bytes:
    page = Page().text(50, 40, "Supplier requirements", size=12)
    page.text(55, 75, "ID").text(120, 75, "Requirement")
    top, tops = 92.0, [70.0, 92.0]
    for ref, lines in REQUIREMENTS:
        page.text(55, top + 5, ref)
        for i, line in enumerate(lines):
            page.text(120, top + 5 + 11 * i, line, size=8)
        top += 11 * len(lines) + 10
        tops.append(top)
    # the requirement column just wide enough for its longest line, which a word overruns
    return build_pdf([page.grid([50, 115, 326], tops)])


def unruled() -> bytes:
    page = Page().text(50, 40, "Requirements", size=12)
    page.text(50, 70, "ID").text(120, 70, "Requirement")
    top = 90.0
    for ref, lines in REQUIREMENTS:
        if ref:
            page.text(50, top, ref)
        for i, line in enumerate(lines):
            page.text(120, top + 11 * i, line, size=8)
        top += 11 * len(lines) + 8
    return build_pdf([page])


EXPECTED = [
    ("1.a", "The supplier maintains an information security policy approved by management."),
    ("1.b", "The supplier assigns its security and privacy responsibilities to named roles. "
            "- including a security officer - including a deputy for each office"),
    ("1.c", "The supplier reviews the policy every year."),
    ("1.f.ii", "Access rights are reviewed every quarter."),
    ("GOV-01", "A board member is accountable for security."),
    ("GOV-02", "Security risks are reported to the board."),
    ("GOV-04", "Security objectives are set every year."),
    ("GOV-05", "Progress on the objectives is measured."),
]
HOLES = "the printed IDs skip 1: GOV-03; check that no question was missed"


def test_ruled_table_without_an_answer_column(tmp_path: Path) -> None:
    found = parse(ruled())
    assert [(q.ref, q.text) for q in found.questions] == EXPECTED
    assert found.notices == [HOLES]
    # no answer column: each answer's place is beside the row, right of the table
    assert all(q.answer_location.kind == "page" and q.answer_location.box[0] >= 326
               for q in found.questions)


def test_unruled_table_without_an_answer_column() -> None:
    found = parse(unruled())
    assert [(q.ref, q.text) for q in found.questions] == EXPECTED
    assert found.notices == [HOLES]


def test_printed_table_round_trip_through_its_side_car(tmp_path: Path) -> None:
    """A printed PDF has no slots: the answers go to a side-car table, which reads back with
    the same IDs and answers."""
    source = tmp_path / "requirements.pdf"
    source.write_bytes(ruled())
    questionnaire = parse(source)
    result = export_filled(answered_with(questionnaire), source.read_bytes(),
                           tmp_path / "requirements_filled.pdf",
                           load_knowledge_base(KNOWLEDGE_DIR))
    side_car = next(p for p in result.paths if p.suffix == ".xlsx")
    back = parse(side_car)
    assert [(q.ref, q.existing_answer) for q in back.questions] == [
        (ref, f"Candor test answer {ref}") for ref, _ in EXPECTED]


def test_the_cli_names_the_missing_ids(tmp_path: Path) -> None:
    source = tmp_path / "requirements.pdf"
    source.write_bytes(unruled())
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert main(["ingest", str(source)]) in (0, None)
    assert f"note: {HOLES}" in printed.getvalue()
