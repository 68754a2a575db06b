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
from datetime import date
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.responses import FileResponse

from service.answering import AnsweredQuestionnaire
from service.export import export_filled, filled_path

from . import audit
from .answers import NotReady, stored_answers
from .auth import Principal
from .knowledge import Knowledge
from .models import QuestionnaireRecord
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
