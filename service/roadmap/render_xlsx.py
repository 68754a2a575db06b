"""The plan as a workbook: the schedule, what waits until after day 90, and the posture."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from .plan import FRAMEWORK_NAMES, PrioritisedItem
from .posture import MILESTONES
from .roadmap import Roadmap
from .schedule import PHASES

Column = tuple[str, int, Callable[[PrioritisedItem], Any]]  # header, width, value
ITEM_COLUMNS: tuple[Column, ...] = (
    ("Rank", 6, lambda i: i.rank),
    ("Control", 9, lambda i: i.id),
    ("Title", 40, lambda i: i.control.title),
    ("Severity", 9, lambda i: i.severity),
    ("Owner role", 20, lambda i: i.owner_role),
    ("Effort (person-days)", 10, lambda i: i.effort_days),
    ("Depends on", 14, lambda i: ", ".join(i.depends_on)),
    (
        "Questions unblocked",
        28,
        lambda i: "\n".join(f"{q.questionnaire} {q.ref}" for q in i.questions),
    ),
    (
        "Frameworks",
        30,
        lambda i: "\n".join(
            f"{FRAMEWORK_NAMES[f]}: {', '.join(refs)}"
            for f in FRAMEWORK_NAMES
            if (refs := i.control.refs(f))
        ),
    ),
    ("Why", 70, lambda i: i.why),
    ("Steps", 70, lambda i: "\n".join(f"• {s}" for s in i.steps)),
)
HEADER_FILL = PatternFill("solid", fgColor="D9E2EC")


def write_plan(roadmap: Roadmap, path: Path) -> None:
    workbook = Workbook()
    plan = workbook.active
    plan.title = "Plan"
    _sheet(
        plan,
        [("Phase", 12), ("Start", 11), ("End", 11)],
        [[PHASES[s.phase - 1], s.start, s.end] for s in roadmap.schedule.scheduled],
        [s.item for s in roadmap.schedule.scheduled],
    )
    _sheet(
        workbook.create_sheet("After day 90"),
        [("Reason", 60)],
        [[d.reason] for d in roadmap.after_90_days],
        [d.item for d in roadmap.after_90_days],
    )
    posture = workbook.create_sheet("Posture")
    rows = [[f.title, *f.shares] for f in roadmap.posture.frameworks]
    rows += [
        [f"{q.label}: questions answerable Yes", *q.shares] for q in roadmap.posture.questionnaires
    ]
    _write(posture, [("", 48), *((m, 10) for m in MILESTONES)], rows)
    for row in posture.iter_rows(min_row=2, min_col=2):
        for cell in row:
            cell.number_format = "0%"
    workbook.save(path)


def _sheet(
    sheet: Worksheet,
    leading: Sequence[tuple[str, int]],
    leading_values: list[list[Any]],
    items: Sequence[PrioritisedItem],
) -> None:
    columns = [*leading, *((h, w) for h, w, _ in ITEM_COLUMNS)]
    rows = [
        [*first, *(value(item) for _, _, value in ITEM_COLUMNS)]
        for first, item in zip(leading_values, items, strict=True)
    ]
    _write(sheet, columns, rows)


def _write(sheet: Worksheet, columns: Sequence[tuple[str, int]], rows: list[list[Any]]) -> None:
    sheet.append([h for h, _ in columns])
    for cell, (_, width) in zip(sheet[1], columns, strict=True):
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        sheet.column_dimensions[cell.column_letter].width = width
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if hasattr(cell.value, "isoformat"):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
