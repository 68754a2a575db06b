"""The audit log over JSON (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlmodel import Session

from ..audit import event_dict, recent
from ..auth import Principal
from ..deps import db, require

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", summary="Recent changes, newest first: who, what, before and after")
def audit_log(
    _me: Annotated[Principal, Depends(require("admin"))],
    session: Annotated[Session, Depends(db)],
    limit: int = 500,
) -> list[dict[str, Any]]:
    return [event_dict(e) for e in recent(session, max(1, min(limit, 5000)))]
