"""Which columns ingest read each part from, and re-reading a part from columns a person chose:
for a Word table as for a sheet (the web app's correction uses these)."""

from __future__ import annotations

from pathlib import Path

import docx

from service.ingest import Location, parse
from service.ingest.columns import apply_overrides, column_mapping, read_cells

from .test_ingest_docx import to_bytes


def table_document() -> bytes:
    document = docx.Document()
    document.add_heading("Supplier questions", level=1)
    rows = [("ID", "Question", "Answer", "Evidence", "Owner"),
            ("S-1", "Do you encrypt backups?", "", "", ""),
            ("S-2", "Do you review access quarterly?", "", "", ""),
            ("S-3", "Is there an incident response plan?", "", "", "")]
    table = document.add_table(rows=len(rows), cols=5)
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    return to_bytes(document)


def test_a_word_table_is_mapped_and_corrected(tmp_path: Path) -> None:
    source = tmp_path / "questions.docx"
    source.write_bytes(table_document())
    questionnaire = parse(source)
    [part] = column_mapping(questionnaire)
    assert (part.part, part.questions) == ("table 1", 3)
    assert (part.question_column, part.answer_column, part.comment_column) == (
        "column 2", "column 3", "column 4")
    cells = read_cells(source, "docx")
    assert cells["table 1"][1] == ["S-1", "Do you encrypt backups?", "", "", ""]
    # the person says: answers go in "Owner" (column 5), no comment
    corrected = apply_overrides(questionnaire, cells,
                                {"table 1": {"question": "2", "answer": "5", "comment": None}})
    first = corrected.questions[0]
    assert first.text == "Do you encrypt backups?" and first.ref == "S-1"
    assert first.answer_location == Location(kind="table", table=0, row=1, column=4)
    assert first.comment_location is None
    [after] = column_mapping(corrected)
    assert (after.answer_column, after.comment_column) == ("column 5", None)
