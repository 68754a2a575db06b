"""Reviewing one answer over JSON. Writes name the version they were based on; a stale one
gets 409 with the answer as it is now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import Session

from ..auth import Principal
from ..deps import db, require
from ..questionnaires import answer_dict
from ..review import add_comment, approve_answer, edit_answer

router = APIRouter(prefix="/api/v1/answers", tags=["answers"])
Editor = Annotated[Principal, Depends(require("editor"))]
Db = Annotated[Session, Depends(db)]
CONFLICT = {409: {"description": "The answer changed since `version`: `current` holds it now"}}


class AnswerEdit(BaseModel):
    value: str
    comment: str = ""
    version: int


class Approval(BaseModel):
    version: int


class NewComment(BaseModel):
    text: str


@router.patch("/{answer_id}", summary="Edit an answer's value and comment", responses=CONFLICT)
def edit(answer_id: int, change: AnswerEdit, me: Editor, session: Db) -> dict[str, Any]:
    return answer_dict(
        edit_answer(session, me, answer_id, change.value, change.comment, change.version))


@router.post("/{answer_id}/approve", summary="Approve an answer", responses=CONFLICT)
def approve(answer_id: int, approval: Approval, me: Editor, session: Db) -> dict[str, Any]:
    return answer_dict(approve_answer(session, me, answer_id, approval.version))


@router.post("/{answer_id}/comments", status_code=201, summary="Comment on an answer")
def comment(answer_id: int, new: NewComment, me: Editor, session: Db) -> dict[str, Any]:
    added = add_comment(session, me, answer_id, new.text)
    return {"id": added.id, "author": me.email, "text": added.text,
            "at": added.created_at.isoformat()}
