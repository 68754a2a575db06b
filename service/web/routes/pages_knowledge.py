"""The knowledge base: controls by domain with status and evidence, evidence expiry, facts;
admins change a control's status and an evidence item's dates here."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from ..auth import Principal
from ..deps import Admin, Db, render, require
from ..kb_edit import CONTROL_STATUSES, set_control_status, set_evidence_dates
from ..knowledge import controls_by_domain, evidence_states

router = APIRouter(include_in_schema=False)


@router.get("/knowledge")
def knowledge_page(
    request: Request, me: Annotated[Principal, Depends(require("viewer"))]
) -> Response:
    knowledge = request.app.state.knowledge
    today = date.today()
    return render(request, "knowledge.html", me, company=knowledge.company,
                  domains=controls_by_domain(knowledge, today),
                  evidence=evidence_states(knowledge.company, today), on=today,
                  control_statuses=CONTROL_STATUSES)


@router.post("/knowledge/controls/{control_id}")
def change_control(
    request: Request,
    control_id: str,
    me: Admin,
    session: Db,
    status: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    target_date: Annotated[str, Form()] = "",
) -> Response:
    _, outcome = set_control_status(session, request.app.state.knowledge, me, control_id,
                                    status, note, target_date)
    if outcome.jobs:
        request.app.state.worker.wake()
    return RedirectResponse(f"/knowledge#control-{control_id}", status_code=303)


@router.post("/knowledge/evidence/{evidence_id}")
def change_evidence(
    request: Request,
    evidence_id: str,
    me: Admin,
    session: Db,
    collected: Annotated[str, Form()],
    expires: Annotated[str, Form()] = "",
) -> Response:
    _, outcome = set_evidence_dates(session, request.app.state.knowledge, me, evidence_id,
                                    collected, expires)
    if outcome.jobs:
        request.app.state.worker.wake()
    return RedirectResponse(f"/knowledge#evidence-{evidence_id}", status_code=303)
