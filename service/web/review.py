"""Reviewing answers: edit, approve, bulk-approve, comment. Every change is versioned and
audited; a change naming a version other than the current one is refused (`VersionConflict`).

What reaches the customer's file is guarded here: a value must be one of its slot's options,
a comment written for another value is not carried over silently, and a bulk approval
approves only the answers (and versions) a person was shown and confirmed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select, update

from service.export.plan import fit_options

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
    """Set the value and the comment the customer reads. Refused (InvalidInput, nothing saved):
    a value outside the slot's dropdown (the message lists the options), and a new value
    sent with the comment unchanged, as that comment was written for the old value."""
    if len(value) > MAX_TEXT or len(comment) > MAX_TEXT:
        raise InvalidInput(f"answers and comments are limited to {MAX_TEXT} characters")
    answer = _get(session, answer_id)
    if answer.version != version:  # the answer changed: what it is now comes first
        raise VersionConflict(answer_dict(answer))
    value = allowed_value(_question(session, answer), value)
    _refuse_a_comment_written_for_another_value(answer, value, comment)
    return _change(session, actor, answer_id, version, "answer.edit",
                   {"value": value, "comment": comment, "status": "edited",
                    "person_written": True})


def allowed_value(question: QuestionRecord, value: str) -> str:
    """`value` spelled as the question's own option(s) (empty: no answer yet), or
    InvalidInput listing them: what the cell's dropdown accepts is what export writes."""
    if not question.options:
        return value
    if not value.strip():
        return ""
    fitted = fit_options(value, tuple(question.options))
    if fitted is None:
        raise InvalidInput(f"{value.strip()!r} is not one of the options of {question.ref}: "
                           f"choose one of {' / '.join(question.options)}")
    return fitted


def _refuse_a_comment_written_for_another_value(
    answer: AnswerRecord, value: str, comment: str
) -> None:
    if not comment.strip() or comment.strip() != answer.comment.strip():
        return
    if _same_value(value, answer.value):
        return
    was = f"the answer {answer.value.strip()!r}" if answer.value.strip() else "no answer"
    raise InvalidInput(
        f"the comment was written for {was}: rewrite it for {value.strip()!r} or clear it, "
        "so the customer never reads a comment that contradicts the answer")


def _same_value(a: str, b: str) -> bool:
    return " ".join(a.split()).lower() == " ".join(b.split()).lower()


def approve_answer(
    session: Session, actor: Principal, answer_id: int, version: int
) -> AnswerRecord:
    answer = _get(session, answer_id)
    if not answer.value.strip():
        raise InvalidInput("an empty answer cannot be approved: write the answer first")
    question = _question(session, answer)
    if not fits_options(question, answer.value):
        raise InvalidInput(f"{answer.value!r} is not one of the options of {question.ref} "
                           f"({' / '.join(question.options)}): edit it before approving")
    return _change(session, actor, answer_id, version, "answer.approve",
                   {"status": "approved", "person_written": True})


def fits_options(question: QuestionRecord, value: str) -> bool:
    return not question.options or fit_options(value, tuple(question.options)) is not None


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


def high_confidence_answers(
    session: Session, questionnaire_id: int
) -> list[tuple[QuestionRecord, AnswerRecord]]:
    """What "approve all high-confidence answers" would approve: the answers still as Candor
    drafted them (auto), with a value that fits the slot, in the high confidence band; in
    question order."""
    pairs = session.exec(
        select(QuestionRecord, AnswerRecord)
        .join(AnswerRecord, col(AnswerRecord.question_id) == QuestionRecord.id)
        .where(AnswerRecord.questionnaire_id == questionnaire_id,
               AnswerRecord.status == "auto", AnswerRecord.value != "")
        .order_by(col(QuestionRecord.position))
    ).all()
    return [(question, answer) for question, answer in pairs
            if confidence_band(answer.confidence) == "high" and fits_options(question,
                                                                                answer.value)]


@dataclass
class BulkApproval:
    approved: list[dict[str, Any]] = field(default_factory=list)  # id, version (now), ref, value
    skipped: list[dict[str, Any]] = field(default_factory=list)  # id, reason


def approve_listed(
    session: Session, actor: Principal, questionnaire_id: int, listed: list[tuple[int, int]]
) -> BulkApproval:
    """Approve exactly the (answer id, version) pairs a person was shown and confirmed. One
    that changed since, or is no longer an automatic high-confidence answer of this
    questionnaire, is skipped with the reason: it needs a person's look, not a bulk
    approval. One transaction, one audit entry."""
    if not listed:
        raise InvalidInput("no answers named: open the list of high-confidence answers and "
                           "confirm it to approve them")
    candidates = {answer.id: (question, answer)
                  for question, answer in high_confidence_answers(session, questionnaire_id)}
    outcome = BulkApproval()
    changed = "changed since the list was shown"
    for answer_id, version in dict.fromkeys(listed):
        found = candidates.get(answer_id)
        if found is None:
            outcome.skipped.append({"id": answer_id, "reason": "no longer an automatic "
                                    "high-confidence answer of this questionnaire"})
            continue
        question, answer = found
        if answer.version != version:
            outcome.skipped.append({"id": answer_id, "reason": changed})
            continue
        result = session.exec(
            update(AnswerRecord)
            .where(col(AnswerRecord.id) == answer_id, col(AnswerRecord.version) == version)
            .values(status="approved", person_written=True, version=version + 1,
                    updated_by=actor.user_id, updated_at=utcnow()))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            outcome.skipped.append({"id": answer_id, "reason": changed})
            continue
        outcome.approved.append({"id": answer_id, "version": version + 1, "ref": question.ref,
                                 "value": answer.value})
    audit.record(session, actor, "answer.approve.bulk", f"questionnaire:{questionnaire_id}",
                 None, {"approved": outcome.approved, "skipped": outcome.skipped})
    session.commit()
    session.expire_all()
    return outcome


def parse_listed(items: list[str]) -> list[tuple[int, int]]:
    """The confirmation form's `answer` fields, "id:version" each."""
    listed = []
    for item in items:
        answer_id, _, version = item.partition(":")
        if not (answer_id.isdigit() and version.isdigit()):
            raise InvalidInput(f"{item!r} does not name an answer and its version (id:version)")
        listed.append((int(answer_id), int(version)))
    return listed


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


def _question(session: Session, answer: AnswerRecord) -> QuestionRecord:
    question = session.get(QuestionRecord, answer.question_id)
    assert question is not None
    return question


def _get(session: Session, answer_id: int) -> AnswerRecord:
    answer = session.get(AnswerRecord, answer_id)
    if answer is None:
        raise NotFound(f"no answer {answer_id}")
    return answer
