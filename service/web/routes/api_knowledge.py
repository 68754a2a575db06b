"""The knowledge base over JSON; admins change a control's status and evidence dates."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from ..auth import Principal
from ..deps import Admin, Db, require
from ..kb_edit import set_control_status, set_evidence_dates
from ..knowledge import knowledge_dict

router = APIRouter(prefix="/api/v1", tags=["knowledge"])


class ControlChange(BaseModel):
    status: str  # implemented | partial | planned | not_implemented | not_applicable
    note: str = ""
    target_date: date | None = None


class EvidenceDates(BaseModel):
    collected: date
    expires: date | None = None  # null: never expires


@router.get("/knowledge", summary="Controls by domain with effective status, evidence, facts")
def knowledge(
    request: Request, _me: Annotated[Principal, Depends(require("viewer"))]
) -> dict[str, Any]:
    return knowledge_dict(request.app.state.knowledge, date.today())


@router.put("/knowledge/controls/{control_id}",
            summary="Change a control's declared status (admin); answers citing it are "
                    "answered again or flagged for review")
def change_control(
    control_id: str, change: ControlChange, request: Request, me: Admin, session: Db
) -> dict[str, Any]:
    after, outcome = set_control_status(
        session, request.app.state.knowledge, me, control_id, change.status, change.note,
        change.target_date.isoformat() if change.target_date else "")
    if outcome.jobs:
        request.app.state.worker.wake()
    return {**after, **outcome.to_dict()}


@router.put("/knowledge/evidence/{evidence_id}",
            summary="Change an evidence item's collected and expiry dates (admin); answers "
                    "citing it or its controls are answered again or flagged for review")
def change_evidence(
    evidence_id: str, dates: EvidenceDates, request: Request, me: Admin, session: Db
) -> dict[str, Any]:
    after, outcome = set_evidence_dates(
        session, request.app.state.knowledge, me, evidence_id, dates.collected.isoformat(),
        dates.expires.isoformat() if dates.expires else "")
    if outcome.jobs:
        request.app.state.worker.wake()
    return {**after, **outcome.to_dict()}
