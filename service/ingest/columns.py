"""Which columns ingest took the questions, answers and comments from, per part (a sheet, the
rows of a CSV file, a Word table): what a person checks first after reading a file, and
corrects when ingest guessed wrong.

A correction names, per part, the question, answer and (optional) comment column. It applies
to spreadsheets, CSV files and Word tables, whose slots are (row, column) cells: the corrected
question's text, answer slot and comment slot are re-read from the same row; a slot moved to
another column is the plain cell there. PDF pages keep the layout ingest found.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from .docx_model import Table, read_body
from .model import Location, Question, Questionnaire
from .source import decode_text

__all__ = [
    "CORRECTABLE_FORMATS", "Cells", "ColumnChoice", "PartMapping", "apply_overrides",
    "column_mapping", "part_label", "read_cells", "template_fingerprint",
]

SAMPLE_QUESTIONS = 3
CORRECTABLE_FORMATS = frozenset({"xlsx", "csv", "docx"})
Cells = dict[str, list[list[str]]]  # part -> its rows of cell texts, as read from the file


@dataclass(frozen=True)
class PartMapping:
    part: str  # "sheet 'Vendor Response'", "table 2", "pages", "document"
    questions: int
    question_column: str
    answer_column: str
    comment_column: str | None
    samples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "samples": list(self.samples)}


@dataclass(frozen=True)
class ColumnChoice:
    """A person's columns for one part: letters ("C") in a sheet, numbers ("3") in a CSV file
    or a Word table."""

    question: str
    answer: str
    comment: str | None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)


def column_mapping(questionnaire: Questionnaire) -> list[PartMapping]:
    by_part: dict[str, list[Any]] = {}
    for question in questionnaire.questions:
        by_part.setdefault(part_label(question.answer_location), []).append(question)
    parts = []
    for part, questions in by_part.items():
        comments = [_column(q.comment_location) for q in questions if q.comment_location]
        parts.append(PartMapping(
            part=part,
            questions=len(questions),
            question_column=_most_common(_column(q.question_location) for q in questions),
            answer_column=_most_common(_column(q.answer_location) for q in questions),
            comment_column=_most_common(comments) if comments else None,
            samples=tuple(q.text for q in questions[:SAMPLE_QUESTIONS]),
        ))
    return parts


def part_label(location: Location) -> str:
    if location.kind == "cell":
        return f"sheet '{location.sheet}'"
    if location.kind == "table":
        return f"table {(location.table or 0) + 1}"
    if location.kind == "row":
        return "rows"
    return "pages" if location.kind == "page" else "document"


def _column(location: Location) -> str:
    if location.kind == "cell" and location.cell:
        return f"column {re.sub(r'[0-9]+', '', location.cell)}"
    if location.kind == "row":
        return f"column {location.column}"
    if location.kind == "table":
        return f"column {(location.column or 0) + 1}"
    return "text below the question" if location.kind == "paragraph" else "page layout"


def _most_common(values: Any) -> str:
    return Counter(values).most_common(1)[0][0]


def read_cells(source: Path | BinaryIO, file_format: str) -> Cells:
    """Every cell's text of a spreadsheet, CSV file or Word document's tables, by part; {} for
    other formats."""
    if file_format == "docx":
        data = source.read_bytes() if isinstance(source, Path) else source.read()
        return {part_label(Location(kind="table", table=table.index)): _table_rows(table)
                for table in _tables(read_body(data))}
    if file_format == "xlsx":
        workbook = load_workbook(source, read_only=True, data_only=True)
        try:
            return {f"sheet '{sheet.title}'": [[_cell_text(v) for v in row]
                                               for row in sheet.iter_rows(values_only=True)]
                    for sheet in workbook.worksheets}
        finally:
            workbook.close()
    if file_format == "csv":
        text = decode_text(source.read_bytes() if isinstance(source, Path) else source.read())
        try:  # the dialect as service.ingest.csv sniffs it, so row numbers agree with ingest's
            dialect: Any = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        return {"rows": [[cell.strip() for cell in record]
                         for record in csv.reader(io.StringIO(text, newline=""), dialect)]}
    return {}


def template_fingerprint(questionnaire: Questionnaire, cells: Cells) -> str | None:
    """The same for every file of one template: its part names and, per part with questions,
    the texts of the header row above the first question. None where corrections don't apply.

    Built from layout only (never file names or answers), so a re-filled copy matches.
    """
    if questionnaire.format not in CORRECTABLE_FORMATS:
        return None
    headers: dict[str, list[str]] = {}
    for question in questionnaire.questions:
        part = part_label(question.answer_location)
        if part not in headers:
            headers[part] = _header_above(cells.get(part, []), _row_of(question.answer_location))
    identity = {"format": questionnaire.format, "parts": sorted(cells), "headers": headers}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def apply_overrides(
    questionnaire: Questionnaire, cells: Cells, overrides: dict[str, dict[str, Any]]
) -> Questionnaire:
    """The questionnaire with each corrected part's questions re-read from their rows."""
    questions = []
    for question in questionnaire.questions:
        part = part_label(question.answer_location)
        choice = overrides.get(part)
        questions.append(question if choice is None else
                         _corrected(question, cells.get(part, []), ColumnChoice(**choice)))
    return replace(questionnaire, questions=questions)


def _corrected(question: Question, rows: list[list[str]], choice: ColumnChoice) -> Question:
    row = _row_of(question.answer_location)
    moved_answer = choice.answer != _column_token(question.answer_location)
    return replace(
        question,
        # an empty cell in the corrected column keeps the detected text: better than no question
        text=_text_at(rows, row, choice.question) or question.text,
        question_location=_slot(question.answer_location, choice.question),
        answer_location=_slot(question.answer_location, choice.answer),
        comment_location=_slot(question.answer_location, choice.comment)
        if choice.comment else None,
        existing_answer=_text_at(rows, row, choice.answer) or None,
        existing_comment=(_text_at(rows, row, choice.comment) or None) if choice.comment else None,
        # formulas are only known for the column ingest read; a moved slot is taken as plain
        answer_formula=question.answer_formula and not moved_answer,
    )


def _tables(items: list[Any]) -> list[Table]:
    """Every table of a Word body, nested ones after their parent (as ingest numbers them)."""
    found: list[Table] = []
    pending = [item for item in items if isinstance(item, Table)]
    while pending:
        table = pending.pop(0)
        found.append(table)
        pending[:0] = table.nested
    return found


def _table_rows(table: Table) -> list[list[str]]:
    """A Word table's cell texts by grid column (a merged cell's text at its first column)."""
    rows = []
    for row in table.rows:
        texts = [""] * table.width
        for cell in row:
            if not cell.covered:
                texts[cell.column] = cell.text
        rows.append(texts)
    return rows


def _row_of(location: Location) -> int:
    """The 1-based row of a spreadsheet cell, CSV slot or Word table cell."""
    if location.kind == "cell" and location.cell:
        return int(re.sub(r"[A-Z]+", "", location.cell))
    if location.kind == "table":
        return (location.row or 0) + 1
    return location.row or 0


def _column_token(location: Location) -> str:
    if location.kind == "cell" and location.cell:
        return re.sub(r"[0-9]+", "", location.cell)
    if location.kind == "table":
        return str((location.column or 0) + 1)
    return str(location.column)


def _slot(location: Location, column: str) -> Location:
    """The slot in `column` of the location's row: the location itself when it is there, else
    the plain cell (a form control of another column is not carried over)."""
    if column == _column_token(location):
        return location
    if location.kind == "cell":
        return replace(location, cell=f"{column}{_row_of(location)}")
    plain = replace(location, control=None, index=None)
    if location.kind == "table":
        return replace(plain, column=int(column) - 1)
    return replace(plain, column=int(column))


def _text_at(rows: list[list[str]], row: int, column: str) -> str:
    index = column_index_from_string(column) if column.isalpha() else int(column)
    cells = rows[row - 1] if 0 < row <= len(rows) else []
    return cells[index - 1] if 0 < index <= len(cells) else ""


def _header_above(rows: list[list[str]], first_question_row: int) -> list[str]:
    """The nearest row above the first question with two or more filled cells."""
    for cells in reversed(rows[: max(first_question_row - 1, 0)]):
        filled = [" ".join(text.split()).lower() for text in cells if text]
        if len(filled) >= 2:
            return filled
    return []


def _cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()
