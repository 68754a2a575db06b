"""The filled questionnaire and the answer report over the API (same files as the pages)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..deps import Db, Viewer
from ..exports import ExportKind, export_download
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
