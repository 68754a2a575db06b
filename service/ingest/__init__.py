"""Ingest: a questionnaire file in, its questions and answer slots out.

from service.ingest import parse
questionnaire = parse("vendor_assessment.xlsx")
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import BinaryIO

from .model import (
    ANSWER_TYPES,
    AnswerType,
    Format,
    IngestError,
    Location,
    Question,
    Questionnaire,
    Skipped,
)
from .source import DEFAULT_LIMITS, Limits, detect, read_source

__all__ = [
    "ANSWER_TYPES",
    "DEFAULT_LIMITS",
    "AnswerType",
    "Format",
    "IngestError",
    "Limits",
    "Location",
    "Question",
    "Questionnaire",
    "Skipped",
    "parse",
]


def parse(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    filename: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Questionnaire:
    """Read a questionnaire from a path, bytes or a binary file object.

    The format comes from the content, never from `filename`, which is only used in the result.
    Raises `IngestError` (one line, for the user) for anything that cannot be ingested.
    """
    if filename is None and isinstance(source, str | os.PathLike):
        filename = os.path.basename(os.fspath(source))
    data = read_source(source, limits)
    kind = detect(data, filename, limits)
    if kind.format == "xlsx":
        from .xlsx import parse_xlsx

        questionnaire = parse_xlsx(kind.data, limits, macro_enabled=kind.macro_enabled)
    elif kind.format == "docx":
        from .docx import parse_docx

        questionnaire = parse_docx(kind.data, limits)
        if kind.macro_enabled:
            questionnaire.notices.append("macro-enabled document: macros were not run")
    elif kind.format == "pdf":
        from .pdf import parse_pdf

        questionnaire = parse_pdf(kind.data, limits)
    else:
        from .csv import parse_csv

        questionnaire = parse_csv(kind.data, limits)
    questionnaire.filename = filename
    _number_unlabelled(questionnaire)
    if not questionnaire.questions:
        raise IngestError(
            "no questions found: the file has no recognisable question table "
            "(question and answer columns)"
        )
    return questionnaire


def _number_unlabelled(questionnaire: Questionnaire) -> None:
    """Give questions the file printed no ID for a stable ref: Q001, Q002 … in file order."""
    taken = {q.ref for q in questionnaire.questions if not q.ref_generated}
    counter = 0
    for i, question in enumerate(questionnaire.questions):
        if not question.ref_generated:
            continue
        counter += 1
        ref = f"Q{counter:03d}"
        while ref in taken:
            counter += 1
            ref = f"Q{counter:03d}"
        questionnaire.questions[i] = replace(question, ref=ref)
