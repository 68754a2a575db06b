"""The answered questions as stored: one `AnsweredQuestion` per question/answer row pair.

The engine's value is written with `answered_to_dict` and read back with `answered_from_dict`
(service.answering): the question whole in `QuestionRecord.question`, the answer's fields as
`AnswerRecord` columns beside its match, citations, gap and verdict. Answering, review,
exports and the export check all read that one value; none of them reads the original file.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, cast
from sqlmodel import Session, col, select

from service.answering import (
    Answer,
    AnsweredQuestion,
    AnsweredQuestionnaire,
    answered_from_dict,
    answered_to_dict,
)
from service.answering.engine import collect_gaps
from service.answering.stored import to_json
from service.export import ExportError
from service.ingest import IngestError, Question, Questionnaire
from service.matching import understand

from .knowledge import Knowledge
from .models import AnswerRecord, QuestionnaireRecord, QuestionRecord

log = logging.getLogger(__name__)
ANSWER_FIELDS = tuple(f.name for f in dataclasses.fields(Answer))  # AnswerRecord columns


class NotReady(ValueError):
    """No answers yet (answering has not finished)."""


class StoredBefore(ValueError):
    """Questions stored by an older version whose slots could not be completed."""


# -- writing ------------------------------------------------------------------------------------

def question_record(questionnaire_id: int, position: int, question: Question) -> QuestionRecord:
    record = QuestionRecord(questionnaire_id=questionnaire_id, position=position, ref="",
                            text="", section="", answer_type="", options=[], question={})
    set_question(record, question)
    return record


def set_question(record: QuestionRecord, question: Question) -> None:
    """Store `question` whole, and the columns pages filter and list by."""
    record.ref, record.text, record.section = question.ref, question.text, question.section
    record.answer_type, record.options = question.answer_type, list(question.options)
    record.question = question.to_dict()


def answer_columns(item: AnsweredQuestion) -> dict[str, Any]:
    """The `AnswerRecord` columns that hold `item` (its question lives on the QuestionRecord)."""
    data = answered_to_dict(item)
    data.pop("question")
    return {**data.pop("answer"), **data}


# -- reading ------------------------------------------------------------------------------------

def answered(question: QuestionRecord, answer: AnswerRecord) -> AnsweredQuestion:
    """The stored pair as the engine's typed value, review states included."""
    if not is_complete(question.question):
        raise StoredBefore(question.ref)
    return answered_from_dict({
        "question": question.question,
        "answer": {name: getattr(answer, name) for name in ANSWER_FIELDS},
        "match": answer.match, "citations": answer.citations,
        "gap_control": answer.gap_control, "verdict": answer.verdict,
    })


def is_complete(stored: dict[str, Any]) -> bool:
    """False for a question stored before questions were kept whole (no question slot)."""
    return "question_location" in stored


def stored_questionnaire(session: Session, record: QuestionnaireRecord) -> Questionnaire:
    """The questionnaire as stored at upload (or at its last column correction)."""
    rows = _question_rows(session, record)
    if not all(is_complete(row.question) for row in rows):
        raise stored_before(record)
    return Questionnaire(record.format, [Question.from_dict(row.question) for row in rows],
                         notices=list(record.notices), filename=record.filename)


def stored_answers(
    session: Session, knowledge: Knowledge, record: QuestionnaireRecord, on: date
) -> AnsweredQuestionnaire:
    """Every question with its answer as people left it (edited values, review states) and
    the gaps they leave, from the database alone. Raises NotReady while answering is
    unfinished."""
    answered = stored_answered(session, record)
    gaps = collect_gaps(answered.answers, knowledge.kb, knowledge.company, on)
    return dataclasses.replace(answered, gaps=gaps, as_of=on)


def stored_answered(session: Session, record: QuestionnaireRecord) -> AnsweredQuestionnaire:
    """`stored_answers` without the gaps (no knowledge needed): what the export will write."""
    pairs = session.exec(
        select(QuestionRecord, AnswerRecord)
        .join(AnswerRecord, col(AnswerRecord.question_id) == QuestionRecord.id)
        .where(QuestionRecord.questionnaire_id == record.id)
        .order_by(col(QuestionRecord.position))
    ).all()
    if not pairs:  # answers are stored all at once when answering finishes
        raise NotReady("the answers are not ready yet: wait for answering to finish")
    try:
        items = [answered(question, answer) for question, answer in pairs]
    except StoredBefore:
        raise stored_before(record) from None
    questionnaire = Questionnaire(record.format, [item.question for item in items],
                                  notices=list(record.notices), filename=record.filename)
    return AnsweredQuestionnaire(questionnaire, items)


def _question_rows(session: Session, record: QuestionnaireRecord) -> list[QuestionRecord]:
    return list(session.exec(
        select(QuestionRecord).where(QuestionRecord.questionnaire_id == record.id)
        .order_by(col(QuestionRecord.position))).all())


def stored_before(record: QuestionnaireRecord) -> ExportError:
    """The one-line error for a questionnaire whose stored questions could not be completed."""
    return ExportError(f"{record.filename} was stored by an older Candor and no longer reads "
                       "as it did at upload: upload it again")


# -- rows stored before questions were kept whole (migration 0007) ------------------------------

def complete_stored(engine: Engine, data_dir: Path) -> int:
    """Complete what migration 0007 could not: each question's slots, read once from the
    stored original, and each answer's question understanding. Returns how many
    questionnaires it completed; one whose original no longer reads as at upload keeps what
    was stored (its export asks for a new upload). Cheap when there is nothing to do: one
    query per table."""
    from .questionnaires import load_questionnaire  # the sandboxed reader, only needed here

    completed = 0
    with Session(engine) as session:
        partial = cast(col(QuestionRecord.question), String).not_like('%"question_location"%')
        unread = cast(col(AnswerRecord.match), String).like('%"understanding": null%')
        legacy = sorted(
            set(session.exec(select(QuestionRecord.questionnaire_id).where(partial)).all())
            | set(session.exec(select(AnswerRecord.questionnaire_id).where(unread)).all()))
        for questionnaire_id in legacy:
            record = session.get(QuestionnaireRecord, questionnaire_id)
            assert record is not None
            rows = _question_rows(session, record)
            texts = {row.id: row.text for row in rows}
            for answer in session.exec(select(AnswerRecord).where(
                    AnswerRecord.questionnaire_id == questionnaire_id)).all():
                if answer.match.get("understanding") is None:
                    answer.match = {**answer.match,
                                    "understanding": to_json(understand(texts[answer.question_id]))}
                    session.add(answer)
            if not all(is_complete(row.question) for row in rows):
                try:
                    questions = load_questionnaire(data_dir, record).questions
                except (IngestError, OSError) as exc:
                    log.warning("questionnaire %s: %s", record.id, exc)
                    questions = []
                if [q.ref for q in questions] == [row.ref for row in rows]:
                    for row, question in zip(rows, questions, strict=True):
                        set_question(row, question)
                        session.add(row)
                else:
                    log.warning("questionnaire %s (%s) no longer reads as at upload: its "
                                "questions keep only what was stored", record.id,
                                record.filename)
            session.commit()
            completed += 1
    return completed
