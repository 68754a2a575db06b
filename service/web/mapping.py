"""Which columns ingest took the questions, answers and comments from, per sheet or table:
what a person checks first after an upload."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from service.ingest import Location, Questionnaire

SAMPLE_QUESTIONS = 3


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


def column_mapping(questionnaire: Questionnaire) -> list[PartMapping]:
    by_part: dict[str, list[Any]] = {}
    for question in questionnaire.questions:
        by_part.setdefault(_part(question.answer_location), []).append(question)
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


def _part(location: Location) -> str:
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
