"""Reviewing answers: edit, approve, bulk-approve, comment. Every change is versioned and
audited; a change naming a version other than the current one is refused (`VersionConflict`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select, update

from . import audit
from .auth import Principal
from .knowledge import Knowledge
from .models import AnswerRecord, LibraryAnswer, QuestionRecord, ReviewComment, User, utcnow
from .questionnaires import InvalidInput, answer_dict, can_edit_answers, confidence_band

MAX_TEXT = 10_000


class NotFound(LookupError):
    pass


class VersionConflict(Exception):
    """Someone changed the answer since the client read it; `current` is what it is now."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__("the answer was changed by someone else: reload it and try again")
        self.current = current


def edit_answer(
    session: Session, actor: Principal, answer_id: int, value: str, comment: str, version: int
) -> AnswerRecord:
    if len(value) > MAX_TEXT or len(comment) > MAX_TEXT:
        raise InvalidInput(f"answers and comments are limited to {MAX_TEXT} characters")
    return _change(session, actor, answer_id, version, "answer.edit",
                   {"value": value, "comment": comment, "status": "edited",
                    "person_written": True})


def approve_answer(
    session: Session, actor: Principal, answer_id: int, version: int
) -> AnswerRecord:
    answer = _get(session, answer_id)
    if not answer.value.strip():
        raise InvalidInput("an empty answer cannot be approved: write the answer first")
    return _change(session, actor, answer_id, version, "answer.approve",
                   {"status": "approved", "person_written": True})


def assign_answer(
    session: Session, actor: Principal, answer_id: int, assignee_id: int | None, version: int
) -> AnswerRecord:
    """Make `assignee_id` (an editor or admin; None: nobody) responsible for the answer."""
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None:
            raise InvalidInput(f"no user {assignee_id}")
        if not can_edit_answers(assignee):
            raise InvalidInput(f"{assignee.email} cannot edit answers: assign an editor or admin")
    return _change(session, actor, answer_id, version, "answer.assign",
                   {"assigned_to": assignee_id})


def approve_high_confidence(session: Session, actor: Principal, questionnaire_id: int) -> int:
    """Approve the automatic answers in the high confidence band; returns how many."""
    candidates = session.exec(
        select(AnswerRecord).where(AnswerRecord.questionnaire_id == questionnaire_id,
                                   AnswerRecord.status == "auto", AnswerRecord.value != "")
    ).all()
    approved = 0
    for answer in candidates:
        if confidence_band(answer.confidence) != "high":
            continue
        assert answer.id is not None
        try:
            _change(session, actor, answer.id, answer.version, "answer.approve",
                    {"status": "approved", "person_written": True}, bulk=True)
        except VersionConflict:
            continue  # changed meanwhile: it needs a person's look, not a bulk approval
        approved += 1
    return approved


def add_comment(session: Session, actor: Principal, answer_id: int, text: str) -> ReviewComment:
    text = text.strip()
    if not text:
        raise InvalidInput("the comment is empty")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"comments are limited to {MAX_TEXT} characters")
    _get(session, answer_id)
    comment = ReviewComment(answer_id=answer_id, user_id=actor.user_id, text=text)
    session.add(comment)
    audit.record(session, actor, "answer.comment", f"answer:{answer_id}", None, {"comment": text})
    session.commit()
    session.refresh(comment)
    return comment


def save_to_library(
    session: Session, knowledge: Knowledge, actor: Principal, answer_id: int
) -> LibraryAnswer:
    """Keep an approved answer for reuse on near-identical questions, with the controls it
    cited: a reused "Yes" still needs them implemented with current evidence."""
    answer = _get(session, answer_id)
    if answer.status != "approved":
        raise InvalidInput("only an approved answer can be saved to the answer library")
    question = session.get(QuestionRecord, answer.question_id)
    assert question is not None
    asked = " ".join(question.text.split()).lower()
    if any(" ".join(kept.question.split()).lower() == asked
           for kept in knowledge.company.answer_library):
        raise InvalidInput("the answer library already has an answer to this question")
    entry = LibraryAnswer(
        company_key=knowledge.company.key, question=question.text, answer=answer.value,
        controls=[c["id"] for c in answer.citations if c["kind"] == "control"],
        created_by=actor.user_id)
    session.add(entry)
    session.flush()
    audit.record(session, actor, "library.add", f"library:{entry.id}", None,
                 {"answer": answer_id, "question": entry.question, "value": entry.answer,
                  "controls": entry.controls})
    session.commit()
    session.refresh(entry)
    return entry


def _change(
    session: Session,
    actor: Principal,
    answer_id: int,
    version: int,
    action: str,
    values: dict[str, Any],
    bulk: bool = False,
) -> AnswerRecord:
    before = answer_dict(_get(session, answer_id))
    # compare-and-set in one statement: two reviewers saving at once cannot both win
    result = session.exec(
        update(AnswerRecord)
        .where(col(AnswerRecord.id) == answer_id, col(AnswerRecord.version) == version)
        .values(**values, version=version + 1, updated_by=actor.user_id, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        session.expire_all()
        raise VersionConflict(answer_dict(_get(session, answer_id)))
    session.expire_all()
    after = answer_dict(_get(session, answer_id))
    audit.record(session, actor, f"{action}.bulk" if bulk else action, f"answer:{answer_id}",
                 before, after)
    session.commit()
    return _get(session, answer_id)


def _get(session: Session, answer_id: int) -> AnswerRecord:
    answer = session.get(AnswerRecord, answer_id)
    if answer is None:
        raise NotFound(f"no answer {answer_id}")
    return answer
