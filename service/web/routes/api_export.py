"""The filled questionnaire and the answer report over the API (same files as the pages)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from ..deps import Db, Viewer
from ..exports import ExportKind, export_check, export_download
from ..questionnaires import InvalidInput
from .pages_questionnaires import get_questionnaire

router = APIRouter(prefix="/api/v1", tags=["export"])


@router.get(
    "/questionnaires/{questionnaire_id}/export/{kind}",
    summary="Download the filled questionnaire or the answer report",
    description="`filled`: the uploaded file with the reviewed answers written into its answer "
    "and comment slots, named `<name>_filled.<ext>` (a PDF gets a side-car XLSX); answers "
    "still needing review with no value are left blank. `report`: an XLSX with every "
    "question's answer, status, confidence, controls, framework refs and evidence. 422 while "
    "answering has not finished.",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download(
    request: Request, questionnaire_id: int, kind: ExportKind, me: Viewer, session: Db
) -> Response:
    state = request.app.state
    return export_download(session, state.settings.data_dir, state.knowledge, me,
                           get_questionnaire(session, questionnaire_id), kind)


class NotWrittenOut(BaseModel):
    answer_id: int | None
    ref: str
    role: str  # "answer" or "comment"
    value: str  # the text that will not be written
    location: str
    reason: str  # e.g. "'Maybe' is not one of the slot's options", "formula cell, …"


class ExportCheckOut(BaseModel):
    answers: int  # answers the filled file will carry
    not_written: list[NotWrittenOut]


@router.get(
    "/questionnaires/{questionnaire_id}/export-check",
    summary="What the filled file will leave out, and why, before downloading it",
    description="Every answer or comment a download of the filled file would not write: "
    "needs review with no answer, a value that is not one of the slot's options, a formula "
    "cell, no comment slot… From the stored answers (the same list the questionnaire page "
    "shows). Reviewer notes are never written. 422 while answering has not finished.",
)
def check(questionnaire_id: int, _me: Viewer, session: Db) -> ExportCheckOut:
    found = export_check(session, get_questionnaire(session, questionnaire_id))
    if found is None:
        raise InvalidInput("the answers are not ready yet: wait for answering to finish")
    return ExportCheckOut(answers=found.answers, not_written=[
        NotWrittenOut(answer_id=u.answer_id, ref=u.ref, role=u.role, value=u.value,
                      location=u.location, reason=u.reason) for u in found.unwritten])
