"""Ingest: a questionnaire file in, its questions and answer slots out.

from service.ingest import parse
questionnaire = parse("vendor_assessment.xlsx")
"""

from __future__ import annotations

import os
import zipfile
import zlib
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
from .sequence import missing_ids
from .source import DEFAULT_LIMITS, Limits, Source, detect, read_source

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
    try:
        questionnaire = _parse_detected(detect(data, filename, limits), limits)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        # a damaged part found deep inside a reader: the same answer as at the door
        raise IngestError(f"the file is corrupt ({type(exc).__name__}: {exc})") from None
    questionnaire.filename = filename
    _number_unlabelled(questionnaire)
    _report_template_defaults(questionnaire)
    _report_missing_ids(questionnaire)
    if not questionnaire.questions:
        raise IngestError(
            "no questions found: the file has no recognisable question table "
            "(question and answer columns)"
        )
    return questionnaire


def _parse_detected(kind: Source, limits: Limits) -> Questionnaire:
    if kind.format == "xlsx":
        from .xlsx import parse_xlsx

        return parse_xlsx(kind.data, limits, macro_enabled=kind.macro_enabled)
    if kind.format == "docx":
        from .docx import parse_docx

        questionnaire = parse_docx(kind.data, limits)
        if kind.macro_enabled:
            questionnaire.notices.append("macro-enabled document: macros were not run")
        return questionnaire
    if kind.format == "pdf":
        from .pdf import parse_pdf

        return parse_pdf(kind.data, limits)
    from .csv import parse_csv

    return parse_csv(kind.data, limits)


def _report_template_defaults(questionnaire: Questionnaire) -> None:
    defaults = [s for s in questionnaire.skipped if s.reason == "template_default"]
    if defaults:
        values = ", ".join(sorted({repr(s.text) for s in defaults}))
        questionnaire.notices.append(
            f"{len(defaults)} answer slots hold the template's default {values}, not an "
            "answer: read as unanswered")


def _report_missing_ids(questionnaire: Questionnaire, listed: int = 12) -> None:
    """Say which IDs the printed sequences skip: a question the reading missed must not go
    unnoticed (the template may skip them too; a person checks)."""
    missing = missing_ids([q.ref for q in questionnaire.questions if not q.ref_generated])
    if missing:
        names = ", ".join(missing[:listed]) + (f" and {len(missing) - listed} more"
                                               if len(missing) > listed else "")
        questionnaire.notices.append(
            f"the printed IDs skip {len(missing)}: {names}; check that no question was missed")


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
