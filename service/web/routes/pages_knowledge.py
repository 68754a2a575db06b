"""The knowledge base: controls by domain with status and evidence, evidence expiry, facts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from ..auth import Principal
from ..deps import render, require
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
                  evidence=evidence_states(knowledge.company, today), on=today)
