"""The knowledge base over JSON."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ..auth import Principal
from ..deps import require
from ..knowledge import knowledge_dict

router = APIRouter(prefix="/api/v1", tags=["knowledge"])


@router.get("/knowledge", summary="Controls by domain with effective status, evidence, facts")
def knowledge(
    request: Request, _me: Annotated[Principal, Depends(require("viewer"))]
) -> dict[str, Any]:
    return knowledge_dict(request.app.state.knowledge, date.today())
