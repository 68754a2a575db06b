"""The reviewed answers as the engine's `AnsweredQuestionnaire`, and files made from them.

Exports and the roadmap work from what people reviewed (edited and approved values), not from
the engine's first draft, as stored (service.web.answers): the stored original is only read as
the bytes to patch, never parsed again. Files are made in a fresh folder under the data
directory and deleted once they have been sent.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from service.answering import Answer, AnsweredQuestionnaire, answer_from_dict
from service.export import export_filled, filled_path, plan_format
from service.export.plan import NEEDS_REVIEW_NO_ANSWER
from service.ingest import Question

from . import audit
from .answers import ANSWER_FIELDS, NotReady, is_complete, stored_answers, stored_before
from .auth import Principal
from .knowledge import Knowledge
from .models import AnswerRecord, QuestionnaireRecord, QuestionRecord
from .questionnaires import InvalidInput

EXPORTS = "exports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {
    ".xlsx": XLSX,
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".csv": "text/csv",
}


class ExportKind(StrEnum):
    FILLED = "filled"  # the customer's file with the answers written in
    REPORT = "report"  # every question with answer, status, confidence, controls, evidence


def reviewed_answers(
    session: Session, knowledge: Knowledge, record: QuestionnaireRecord, on: date
) -> AnsweredQuestionnaire:
    """Each question with its stored answer as people left it, from the database alone (the
    original is only read to be patched). Raises InvalidInput while answering is unfinished."""
    try:
        return stored_answers(session, knowledge, record, on)
    except NotReady as exc:
        raise InvalidInput(str(exc)) from None


@dataclass(frozen=True)
class Unwritten:
    """An answer or comment the filled file will not get, and why."""

    answer_id: int | None
    ref: str
    role: str  # "answer" or "comment"
    value: str  # what would have been written
    location: str
    reason: str


@dataclass(frozen=True)
class ExportCheck:
    answers: int  # answers the filled file will carry
    unwritten: list[Unwritten]

    @property
    def unanswered(self) -> list[Unwritten]:
        """Left out because nobody has answered them yet."""
        return [u for u in self.unwritten if u.reason == NEEDS_REVIEW_NO_ANSWER]

    @property
    def dropped(self) -> list[Unwritten]:
        """Answers or comments that exist but will not be written: the ones to look at."""
        return [u for u in self.unwritten if u.reason != NEEDS_REVIEW_NO_ANSWER]


def export_check(session: Session, record: QuestionnaireRecord) -> ExportCheck | None:
    """What a download of the filled file would leave out, from the stored questions and
    answers (no file is read); None while answering is unfinished."""
    # the plan depends on each question and its answer alone: only those columns are read
    rows = session.exec(
        select(QuestionRecord.question, AnswerRecord.id,
               *(col(getattr(AnswerRecord, name)) for name in ANSWER_FIELDS))
        .join(AnswerRecord, col(AnswerRecord.question_id) == QuestionRecord.id)
        .where(QuestionRecord.questionnaire_id == record.id)
        .order_by(col(QuestionRecord.position))
    ).all()
    return _check(record, [(question, answer_id, dict(zip(ANSWER_FIELDS, fields, strict=True)))
                           for question, answer_id, *fields in rows])


def _check(
    record: QuestionnaireRecord, rows: list[tuple[dict[str, Any], int | None, dict[str, Any]]]
) -> ExportCheck | None:
    if not rows:
        return None
    if not all(is_complete(question) for question, _, _ in rows):
        raise stored_before(record)
    typed = [(Question.from_dict(question), answer_from_dict(answer))
             for question, _, answer in rows]
    writes, not_written = plan_format(record.format, typed)
    by_ref: dict[str, tuple[int | None, Answer]] = {}
    for (_, answer_id, _), (question, answer) in zip(rows, typed, strict=True):
        by_ref.setdefault(question.ref, (answer_id, answer))
    unwritten = []
    for item in not_written:
        answer_id, answer = by_ref[item.ref]
        unwritten.append(Unwritten(answer_id, item.ref, item.role,
                                   answer.value if item.role == "answer" else answer.comment,
                                   item.location, item.reason))
    return ExportCheck(sum(1 for w in writes if w.role == "answer"), unwritten)


def download_name(record: QuestionnaireRecord, kind: ExportKind) -> str:
    """`<name>_filled.<ext>`; a PDF gets its side-car XLSX; the report `<name>_report.xlsx`."""
    source = _source_name(record)
    if kind is ExportKind.REPORT:
        return f"{source.stem}_report.xlsx"
    suffix = ".xlsx" if record.format == "pdf" else source.suffix or f".{record.format}"
    return f"{source.stem}_filled{suffix}"


def _source_name(record: QuestionnaireRecord) -> Path:
    return Path(Path(record.filename).name or "questionnaire")


def export_download(
    session: Session, data_dir: Path, knowledge: Knowledge, actor: Principal,
    record: QuestionnaireRecord, kind: ExportKind,
) -> FileResponse:
    answered = reviewed_answers(session, knowledge, record, date.today())
    source = (data_dir / record.file_path).read_bytes()

    def build(folder: Path) -> Path:
        out = filled_path(_source_name(record), folder)
        result = export_filled(answered, source, out, knowledge.kb,
                               report=kind is ExportKind.REPORT)
        # paths: the filled file (or the PDF's side-cars, XLSX first), then the report
        return result.paths[-1] if kind is ExportKind.REPORT else result.paths[0]

    audit.record(session, actor, f"questionnaire.export.{kind}", f"questionnaire:{record.id}")
    session.commit()
    return file_download(data_dir, build, download_name(record, kind))


def file_download(data_dir: Path, build: Callable[[Path], Path], filename: str) -> FileResponse:
    """Run `build` in a new folder under the data directory and send the file it returns as
    `filename`; the folder is removed once the response has been sent (or `build` failed)."""
    (data_dir / EXPORTS).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=data_dir / EXPORTS))
    try:
        path = build(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                        filename=filename,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
