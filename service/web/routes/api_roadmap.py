"""The 90-day roadmap as JSON (editors and admins, as the page)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from service.roadmap import to_json_dict

from ..deps import Db, Editor
from ..roadmap import roadmap_from_today

router = APIRouter(prefix="/api/v1", tags=["roadmap"])


@router.get(
    "/roadmap",
    summary="The 90-day remediation plan over the answered questionnaires' gaps",
    description="Gaps come from the reviewed answers of every questionnaire that has finished "
    "answering, weighted by its deal; the plan starts today with the default team capacity. "
    "`items` are scheduled by phase, `after_90_days` does not fit, `posture` gives each "
    "framework's share of requirements met now and after each phase.",
)
def roadmap(request: Request, _me: Editor, session: Db) -> dict[str, Any]:
    return to_json_dict(roadmap_from_today(request, session))
