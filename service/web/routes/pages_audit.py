"""The audit log (admins): who changed what, when, before and after."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session

from ..audit import recent
from ..auth import Principal
from ..deps import db, render, require

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_page(
    request: Request,
    me: Annotated[Principal, Depends(require("admin"))],
    session: Annotated[Session, Depends(db)],
) -> Response:
    return render(request, "audit.html", me, events=recent(session))
