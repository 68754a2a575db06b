"""Plain tables as XLSX or DOCX files: what the side-car and the answer report are made of."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import docx
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .plan import neutralise

_REVIEW_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow: a person must look


@dataclass
class Table:
    title: str
    header: tuple[str, ...]
    widths: tuple[int, ...]  # characters per column in the spreadsheet
    rows: list[tuple[str, ...]] = field(default_factory=list)
    highlighted: set[int] = field(default_factory=set)  # row numbers (0-based) to highlight


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """One sheet per table; every value is text (neutralised, never a formula)."""
    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(table.title[:31])
        sheet.append(table.header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for i, row in enumerate(table.rows):
            sheet.append([neutralise(value) for value in row])
            for cell in sheet[sheet.max_row]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if i in table.highlighted:
                    cell.fill = _REVIEW_FILL
        for column, width in enumerate(table.widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_bytes(tables: Sequence[Table]) -> bytes:
    """A heading and a grid table per table."""
    document = docx.Document()
    for table in tables:
        document.add_heading(table.title, level=1)
        grid = document.add_table(rows=1, cols=len(table.header))
        grid.style = "Table Grid"
        for cell, name in zip(grid.rows[0].cells, table.header, strict=True):
            cell.text = name
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in table.rows:
            for cell, value in zip(grid.add_row().cells, row, strict=True):
                cell.text = neutralise(value)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
