"""The review page's forms: edit, approve and comment on one answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from ..deps import Db, Editor, safe_next
from ..models import AnswerRecord
from ..questionnaires import InvalidInput
from ..review import add_comment, approve_answer, assign_answer, edit_answer, save_to_library
from .pages_questionnaires import Refused, filters_of, get_questionnaire, render_review

router = APIRouter(include_in_schema=False)


def _back(next: str, answer_id: int) -> Response:
    return RedirectResponse(f"{safe_next(next)}#answer-{answer_id}", status_code=303)


@router.post("/answers/{answer_id}/edit")
def edit(
    request: Request,
    answer_id: int,
    me: Editor,
    session: Db,
    version: Annotated[int, Form()],
    value: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        edit_answer(session, me, answer_id, value, comment, version)
    except InvalidInput as exc:
        # nothing was saved: the review page again, the refusal on the card with the text the
        # person typed, so a fix is one change away
        session.rollback()
        answer = session.get(AnswerRecord, answer_id)
        assert answer is not None
        target = safe_next(next, f"/questionnaires/{answer.questionnaire_id}/review")
        return render_review(
            request, session, me, get_questionnaire(session, answer.questionnaire_id),
            filters_of(target, me), target, Refused(answer_id, value, comment, str(exc)),
            status_code=422)
    return _back(next, answer_id)


@router.post("/answers/{answer_id}/approve")
def approve(
    answer_id: int,
    me: Editor,
    session: Db,
    version: Annotated[int, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    approve_answer(session, me, answer_id, version)
    return _back(next, answer_id)


@router.post("/answers/{answer_id}/comments")
def comment(
    answer_id: int,
    me: Editor,
    session: Db,
    text: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    add_comment(session, me, answer_id, text)
    return _back(next, answer_id)


@router.post("/answers/{answer_id}/assign")
def assign(
    answer_id: int,
    me: Editor,
    session: Db,
    version: Annotated[int, Form()],
    assignee: Annotated[str, Form()] = "",  # a user id; empty: nobody
    next: Annotated[str, Form()] = "/",
) -> Response:
    if assignee and not assignee.isdigit():
        raise InvalidInput(f"assignee {assignee!r} is not a user id")
    assign_answer(session, me, answer_id, int(assignee) if assignee else None, version)
    return _back(next, answer_id)


@router.post("/answers/{answer_id}/library")
def keep_in_library(
    request: Request,
    answer_id: int,
    me: Editor,
    session: Db,
    next: Annotated[str, Form()] = "/",
) -> Response:
    save_to_library(session, request.app.state.knowledge, me, answer_id)
    return _back(next, answer_id)
