"""Reviewing one answer over JSON. Writes name the version they were based on; a stale one
gets 409 with the answer as it is now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from ..deps import Db, Editor
from ..questionnaires import answer_dict
from ..review import add_comment, approve_answer, assign_answer, edit_answer, save_to_library

router = APIRouter(prefix="/api/v1/answers", tags=["answers"])
CONFLICT = {409: {"description": "The answer changed since `version`: `current` holds it now"}}


class AnswerOut(BaseModel):
    id: int
    value: str
    comment: str  # written into the customer's file beside the value
    note: str  # for reviewers only (why it needs review, what changed): never exported
    status: str  # auto, needs_review, edited, approved
    confidence: float
    basis: str
    gap_control: str | None
    assigned_to: int | None
    version: int  # name it in the next change


class AnswerEdit(BaseModel):
    value: str
    comment: str = ""
    version: int


class Approval(BaseModel):
    version: int


class Assignment(BaseModel):
    assignee_id: int | None  # null: nobody
    version: int


class NewComment(BaseModel):
    text: str


@router.patch(
    "/{answer_id}", summary="Edit an answer's value and comment", responses=CONFLICT,
    description="422, nothing saved: a value that is not one of the question's options (the "
    "message lists them; an empty value clears the answer), or a new value sent with the "
    "comment unchanged (that comment was written for the old value: rewrite or clear it). "
    "The reviewer note is read-only.",
)
def edit(answer_id: int, change: AnswerEdit, me: Editor, session: Db) -> AnswerOut:
    return AnswerOut(**answer_dict(
        edit_answer(session, me, answer_id, change.value, change.comment, change.version)))


@router.post("/{answer_id}/approve", summary="Approve an answer", responses=CONFLICT,
             description="422 for an empty answer or one outside the question's options.")
def approve(answer_id: int, approval: Approval, me: Editor, session: Db) -> AnswerOut:
    return AnswerOut(**answer_dict(approve_answer(session, me, answer_id, approval.version)))


@router.post("/{answer_id}/comments", status_code=201, summary="Comment on an answer")
def comment(answer_id: int, new: NewComment, me: Editor, session: Db) -> dict[str, Any]:
    added = add_comment(session, me, answer_id, new.text)
    return {"id": added.id, "author": me.email, "text": added.text,
            "at": added.created_at.isoformat()}


@router.put("/{answer_id}/assignee", summary="Assign an answer to an editor or admin (or nobody)",
            responses=CONFLICT)
def assign(answer_id: int, assignment: Assignment, me: Editor, session: Db) -> AnswerOut:
    return AnswerOut(**answer_dict(assign_answer(session, me, answer_id, assignment.assignee_id,
                                                 assignment.version)))


@router.post("/{answer_id}/library", status_code=201,
             summary="Save an approved answer to the answer library for reuse")
def keep_in_library(
    answer_id: int, request: Request, me: Editor, session: Db
) -> dict[str, Any]:
    entry = save_to_library(session, request.app.state.knowledge, me, answer_id)
    return {"id": entry.id, "question": entry.question, "answer": entry.answer,
            "controls": entry.controls}
