"""A person correcting the detected question / answer / comment columns of one part.

The correction is kept on the questionnaire (answering and exports read through it) and under
the template's fingerprint, so the next file of the same template gets it at upload. It is
refused once people have started reviewing, since re-answering would drop their work.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session, col, delete, select

from . import audit
from .answers import set_question
from .auth import Principal
from .mapping import CORRECTABLE_FORMATS, ColumnChoice, column_mapping
from .models import (
    AnswerRecord,
    Job,
    QuestionnaireRecord,
    QuestionRecord,
    ReviewComment,
    TemplateMapping,
    utcnow,
)
from .questionnaires import InvalidInput, load_questionnaire

_SHEET_COLUMN = re.compile(r"[A-Z]{1,3}")
_CSV_COLUMN = re.compile(r"[1-9][0-9]{0,3}")
REVIEWED_STATUSES = ("edited", "approved")


def column_choice(part: str, question: str, answer: str, comment: str) -> ColumnChoice:
    """What a person typed ("C", "column c", "3") as a choice of columns, validated."""
    sheet = part.startswith("sheet ")

    def token(role: str, typed: str) -> str:
        value = re.sub(r"^column\s*", "", typed.strip(), flags=re.IGNORECASE).upper()
        if not (_SHEET_COLUMN if sheet else _CSV_COLUMN).fullmatch(value):
            example = "a letter such as C" if sheet else "a number such as 3"
            raise InvalidInput(f"{typed.strip() or 'nothing'!r} is not a {role} column: "
                               f"use {example}")
        return value

    choice = ColumnChoice(token("question", question), token("answer", answer),
                          token("comment", comment) if comment.strip() else None)
    chosen = [c for c in (choice.question, choice.answer, choice.comment) if c]
    if len(set(chosen)) != len(chosen):
        raise InvalidInput("the question, answer and comment columns must differ")
    return choice


def correct_columns(
    session: Session, data_dir: Path, actor: Principal, record: QuestionnaireRecord, part: str,
    choice: ColumnChoice,
) -> QuestionnaireRecord:
    """Re-read `part`'s questions from the chosen columns, remember the choice for the
    template, and answer the questionnaire again (now, or when its queued job runs)."""
    assert record.id is not None
    if record.format not in CORRECTABLE_FORMATS:
        raise InvalidInput(f"the columns of a {record.format.upper()} file cannot be corrected: "
                           "only spreadsheets, CSV files and Word tables")
    before = next((p for p in record.mapping if p["part"] == part), None)
    if before is None:
        raise InvalidInput(f"this questionnaire has no part {part!r}")
    _refuse_once_reviewed(session, record.id)
    record.column_overrides = {**(record.column_overrides or {}), part: choice.to_dict()}
    questionnaire = load_questionnaire(data_dir, record)
    stored = session.exec(select(QuestionRecord).where(
        QuestionRecord.questionnaire_id == record.id).order_by(col(QuestionRecord.position))).all()
    for question, corrected in zip(stored, questionnaire.questions, strict=True):
        set_question(question, corrected)  # every slot as read from the corrected columns
        session.add(question)
    record.mapping = [item.to_dict() for item in column_mapping(questionnaire)]
    session.add(record)
    if record.template_fingerprint:
        _remember_for_template(session, record.template_fingerprint, actor, part, choice)
    _answer_again(session, record.id, len(stored))
    audit.record(session, actor, "questionnaire.mapping", f"questionnaire:{record.id}",
                 {"part": part, "question": before["question_column"],
                  "answer": before["answer_column"], "comment": before["comment_column"]},
                 {"part": part, **choice.to_dict()})
    session.commit()
    session.refresh(record)
    return record


def _refuse_once_reviewed(session: Session, questionnaire_id: int) -> None:
    running = session.exec(select(Job.id).where(
        Job.questionnaire_id == questionnaire_id, Job.status == "running")).first()
    if running is not None:
        raise InvalidInput("answering is running: correct the columns once it has finished")
    answer_ids = select(AnswerRecord.id).where(AnswerRecord.questionnaire_id == questionnaire_id)
    reviewed = session.exec(answer_ids.where(
        col(AnswerRecord.status).in_(REVIEWED_STATUSES))).first()
    commented = session.exec(select(ReviewComment.id).where(
        col(ReviewComment.answer_id).in_(answer_ids))).first()
    if reviewed is not None or commented is not None:
        raise InvalidInput("answers were already reviewed: the columns can only be corrected "
                           "before review starts (upload the file again to start over)")


def _remember_for_template(
    session: Session, fingerprint: str, actor: Principal, part: str, choice: ColumnChoice
) -> None:
    saved = session.get(TemplateMapping, fingerprint)
    if saved is None:
        saved = TemplateMapping(fingerprint=fingerprint, column_overrides={},
                                updated_by=actor.user_id)
    # a new dict: the JSON column notices reassignment, not in-place changes
    saved.column_overrides = {**saved.column_overrides, part: choice.to_dict()}
    saved.updated_by, saved.updated_at = actor.user_id, utcnow()
    session.add(saved)


def _answer_again(session: Session, questionnaire_id: int, questions: int) -> None:
    """Drop the drafted answers and queue answering, unless a queued job will do it anyway."""
    session.exec(delete(AnswerRecord).where(col(AnswerRecord.questionnaire_id) == questionnaire_id))
    pending = session.exec(select(Job.id).where(
        Job.questionnaire_id == questionnaire_id, Job.status == "pending")).first()
    if pending is None:
        session.add(Job(kind="answer", questionnaire_id=questionnaire_id, total=questions))
