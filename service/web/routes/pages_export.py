"""Downloads of the filled questionnaire and the answer report, from the reviewed answers.

Viewers may download: sales (viewers) are who send the filled file to the prospect, and the
file holds nothing a viewer cannot already read on the review page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..deps import Db, Viewer
from ..exports import ExportKind, export_download
from .pages_questionnaires import get_questionnaire

router = APIRouter(include_in_schema=False)


@router.get("/questionnaires/{questionnaire_id}/export/{kind}")
def download(
    request: Request, questionnaire_id: int, kind: ExportKind, me: Viewer, session: Db
) -> Response:
    state = request.app.state
    return export_download(session, state.settings.data_dir, state.knowledge, me,
                           get_questionnaire(session, questionnaire_id), kind)
