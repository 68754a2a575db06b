"""The CTO memo as a Word document, laid out from the `memo.md.j2` template.

The template decides what is said and in which order; this module turns its line markup into
headings, paragraphs and bullets, and its `@name` lines into the tables only code can build.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell

from .memo import memo_context, render
from .roadmap import Roadmap
from .schedule import HORIZON_DAYS, PHASES, ScheduledItem

WEEKS = -(-HORIZON_DAYS // 7)
PHASE_SHADES = ("1F6FB2", "4A90C8", "8AB8DE")  # darker for earlier phases
HEADER_SHADE = "D9E2EC"
BOLD = re.compile(r"\*\*(.+?)\*\*")


def write_memo(roadmap: Roadmap, path: Path) -> None:
    context = memo_context(roadmap)
    document = Document()
    _set_up_page(document)
    tables: dict[str, Callable[[DocxDocument, str], None]] = {
        "posture": lambda doc, _: _posture_table(doc, context),
        "capacity": lambda doc, _: _capacity_table(doc, roadmap),
        "phase": lambda doc, arg: _phase_table(doc, roadmap.phase(int(arg))),
        "deferred": lambda doc, _: _deferred_table(doc, roadmap),
        "gantt": lambda doc, _: _gantt(doc, roadmap),
    }
    for line in render("memo.md.j2", context).splitlines():
        if not line.strip():
            continue
        if line.startswith("@"):
            name, _, arg = line[1:].partition(" ")
            tables[name](document, arg)
        elif line.startswith("### "):
            document.add_heading(line[4:], level=3)
        elif line.startswith("## "):
            document.add_heading(line[3:], level=2)
        elif line.startswith("# "):
            document.add_heading(line[2:], level=1)
        elif line.startswith("- "):
            _add_text(document.add_paragraph(style="List Bullet"), line[2:])
        else:
            _add_text(document.add_paragraph(), line)
    document.save(str(path))


def _set_up_page(document: DocxDocument) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    section.top_margin = section.bottom_margin = Cm(1.6)
    normal = document.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    for level, size in ((1, 18), (2, 13), (3, 11)):
        style = document.styles[f"Heading {level}"]
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
        style.paragraph_format.space_before = Pt(10 if level > 1 else 0)
        style.paragraph_format.space_after = Pt(3)


def _add_text(paragraph: Any, text: str) -> None:
    """Text with **bold** spans."""
    for index, part in enumerate(BOLD.split(text)):
        if part:
            paragraph.add_run(part).bold = index % 2 == 1


def _table(
    document: DocxDocument,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
) -> Table:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _fill(cell, text, bold=True, shade=HEADER_SHADE)
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            _fill(cell, text)
    # LibreOffice lays tables out by the grid, Word by the cells: set both, fixed layout
    table.autofit = False
    for grid_column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        grid_column.w = Cm(width)
    for column, width in zip(table.columns, widths, strict=True):
        for cell in column.cells:
            cell.width = Cm(width)
    return table


def _fill(
    cell: _Cell, text: str, bold: bool = False, shade: str | None = None, size: float = 8.5
) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    if shade:
        _shade(cell, shade)


def _shade(cell: _Cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shading)


def _posture_table(document: DocxDocument, context: dict[str, Any]) -> None:
    rows = [[f["name"], *(f"{s:.0%}" for s in f["shares"])] for f in context["frameworks"]]
    rows += [
        [f'{q.label}: questions "Yes"', *(f"{s:.0%}" for s in q.shares)]
        for q in context["questionnaire_postures"]
    ]
    milestones = [m.capitalize() for m in context["milestones"]]
    _table(document, ["", *milestones], rows, [7.4, 2.4, 2.4, 2.4, 2.4])


def _capacity_table(document: DocxDocument, roadmap: Roadmap) -> None:
    plan = roadmap.schedule
    roles = sorted({i.owner_role for i in roadmap.items})
    rows = []
    for role in roles:
        booked = [
            sum(s.item.effort_days for s in roadmap.phase(p) if s.item.owner_role == role)
            for p in range(1, len(PHASES) + 1)
        ]
        later = sum(d.item.effort_days for d in plan.deferred if d.item.owner_role == role)
        rows.append(
            [
                role,
                f"{plan.capacity.get(role, 0):g}",
                *(f"{b:g}" for b in booked),
                f"{later:g}" if later else "",
            ]
        )
    _table(
        document, ["Owner", "Days/week", *PHASES, "After 90"], rows, [4.6, 2.0, 2.4, 2.4, 2.4, 2.0]
    )


def _phase_table(document: DocxDocument, items: Sequence[ScheduledItem]) -> None:
    rows = [
        [
            f"{s.item.id}\n{s.item.control.title}",
            f"{s.item.owner_role}\n{s.item.effort_days:g} days",
            f"{s.start:%d %b} – {s.end:%d %b}",
            s.item.why.split(": ", 1)[-1]
            + (f" Needs {', '.join(s.item.depends_on)} first." if s.item.depends_on else ""),
        ]
        for s in items
    ]
    _table(document, ["Control", "Owner, effort", "When", "Why now"], rows, [4.2, 2.8, 2.4, 8.0])


def _deferred_table(document: DocxDocument, roadmap: Roadmap) -> None:
    rows = [
        [
            f"{d.item.id}\n{d.item.control.title}",
            f"{d.item.owner_role}\n{d.item.effort_days:g} days",
            d.reason,
        ]
        for d in roadmap.after_90_days
    ]
    _table(document, ["Control", "Owner, effort", "Why after day 90"], rows, [5.0, 3.2, 9.2])


def _gantt(document: DocxDocument, roadmap: Roadmap) -> None:
    """One row per scheduled item, one column per week, shaded where work is booked."""
    start = roadmap.start
    header = ["Item", *(f"W{w + 1}" for w in range(WEEKS))]
    table = _table(document, header, [], [3.4] + [1.08] * WEEKS)
    for scheduled in roadmap.schedule.scheduled:
        cells = table.add_row().cells
        _fill(cells[0], f"{scheduled.item.id} {scheduled.item.owner_role}", size=7)
        weeks = {(day - start).days // 7 for day, _ in scheduled.booked}
        for week in range(WEEKS):
            _fill(cells[week + 1], "", size=7)
            if week in weeks:
                _shade(cells[week + 1], PHASE_SHADES[scheduled.phase - 1])
        cells[0].width = Cm(3.4)
    legend = ", ".join(
        f"{name} ends {roadmap.schedule.phase_end(n):%d %b}"
        for n, name in enumerate(PHASES, start=1)
    )
    document.add_paragraph(
        f"Week 1 starts {start:%d %b %Y}; {legend}; "
        f"W{WEEKS} ends {start + timedelta(days=7 * WEEKS - 1):%d %b}."
    )
