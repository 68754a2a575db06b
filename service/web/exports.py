"""The reviewed answers as the engine's `AnsweredQuestionnaire`, and files made from them.

Exports and the roadmap work from what people reviewed (edited and approved values), not from
the engine's first draft. Files are made in a fresh folder under the data directory and deleted
once they have been sent; the stored original is only ever read.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import cast

from sqlmodel import Session, col, select
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from service.answering import Answer, AnsweredQuestion, AnsweredQuestionnaire, Citation
from service.answering.engine import AnswerStatus, Basis, collect_gaps
from service.export import ExportError, export_filled, filled_path
from service.matching.matcher import ControlMatch, QuestionMatch
from service.matching.understanding import understand

from . import audit
from .auth import Principal
from .knowledge import Knowledge
from .models import AnswerRecord, QuestionnaireRecord, QuestionRecord
from .questionnaires import InvalidInput, load_questionnaire

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
    session: Session, data_dir: Path, knowledge: Knowledge, record: QuestionnaireRecord,
    on: date,
) -> AnsweredQuestionnaire:
    """The stored original re-read (for the slots the export writes into) with each question's
    stored answer as people left it. Raises InvalidInput while answering is unfinished."""
    pairs = session.exec(
        select(QuestionRecord, AnswerRecord)
        .join(AnswerRecord, col(AnswerRecord.question_id) == QuestionRecord.id)
        .where(QuestionRecord.questionnaire_id == record.id)
        .order_by(col(QuestionRecord.position))
    ).all()
    if not pairs:  # answers are stored all at once when answering finishes
        raise InvalidInput("the answers are not ready yet: wait for answering to finish")
    questionnaire = load_questionnaire(data_dir, record)
    refs = [question.ref for question, _ in pairs]
    if [q.ref for q in questionnaire.questions] != refs:  # the reader changed since upload
        raise ExportError(f"{record.filename} no longer reads as it did at upload: "
                          "upload it again to export it")
    answers = []
    for question, (_, answer) in zip(questionnaire.questions, pairs, strict=True):
        answers.append(AnsweredQuestion(
            question=question,
            # the report prints the review state (edited, approved) the engine's type lacks
            answer=Answer(answer.value, answer.comment, answer.confidence,
                          cast(AnswerStatus, answer.status), cast(Basis, answer.basis)),
            match=QuestionMatch(
                tuple(ControlMatch(m["control"], m["score"]) for m in answer.matches),
                answer.confidence, None, None, understand(question.text)),
            citations=tuple(Citation(c["kind"], c["id"], c["title"])  # type: ignore[arg-type]
                            for c in answer.citations),
            gap_control=answer.gap_control,
        ))
    gaps = collect_gaps(answers, knowledge.kb, knowledge.company, on)
    return AnsweredQuestionnaire(questionnaire, answers, gaps, on)


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
    answered = reviewed_answers(session, data_dir, knowledge, record, date.today())
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
