"""The 90-day roadmap over every answered questionnaire, and what its page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import Request
from sqlmodel import Session, col, select

from service.answering import verdict_of
from service.answering.engine import gaps_of
from service.roadmap import DealContext, QuestionnaireGaps, Roadmap, build_roadmap, team_capacity
from service.roadmap.posture import MILESTONES
from service.roadmap.schedule import HORIZON_DAYS, PHASES, ScheduledItem

from .knowledge import Knowledge
from .models import AnswerRecord, QuestionnaireRecord, QuestionRecord
from .questionnaires import list_questionnaires

WEEKS = -(-HORIZON_DAYS // 7)  # the timeline's columns: every week the horizon touches


def questionnaire_gaps(session: Session, knowledge: Knowledge, on: date
                       ) -> list[QuestionnaireGaps]:
    """Each fully answered questionnaire's gaps (from the reviewed answers, as stored: no file
    is read) with its deal; named by file and number, as two uploads may share a file name."""
    found = []
    for record, state in list_questionnaires(session):
        if not state.questions or state.answered < state.questions:
            continue  # still answering: its gaps are not known yet
        rows = session.exec(
            select(QuestionRecord.ref, AnswerRecord.value, AnswerRecord.gap_control)
            .join(AnswerRecord, col(AnswerRecord.question_id) == QuestionRecord.id)
            .where(QuestionRecord.questionnaire_id == record.id)
            .order_by(col(QuestionRecord.position))).all()
        yes = tuple(ref for ref, value, _ in rows if verdict_of(value) == "yes")
        gaps = gaps_of([(ref, gap) for ref, _, gap in rows], knowledge.kb, knowledge.company, on)
        found.append(QuestionnaireGaps(f"{record.filename} #{record.id}", len(rows), yes,
                                       tuple(gaps), _deal(record)))
    return found


def _deal(record: QuestionnaireRecord) -> DealContext:
    return DealContext(record.prospect, float(record.deal_value or 0), record.due_date,
                       tuple(record.frameworks))


def roadmap_from_today(request: Request, session: Session) -> Roadmap:
    """The plan starting today with the default team capacity."""
    knowledge = request.app.state.knowledge
    start = date.today()
    questionnaires = questionnaire_gaps(session, knowledge, start)
    return build_roadmap(knowledge.kb, knowledge.company, questionnaires, start,
                         team_capacity(knowledge.kb))


@dataclass(frozen=True)
class TimelineRow:
    scheduled: ScheduledItem
    weeks: tuple[bool, ...]  # one per timeline column: is the work under way that week?


def timeline(roadmap: Roadmap) -> list[TimelineRow]:
    rows = []
    for item in roadmap.schedule.scheduled:
        first = (item.start - roadmap.start).days // 7
        last = (item.end - roadmap.start).days // 7
        rows.append(TimelineRow(item, tuple(first <= week <= last for week in range(WEEKS))))
    return rows


def page_context(roadmap: Roadmap) -> dict[str, object]:
    return {
        "roadmap": roadmap, "milestones": MILESTONES, "phases": PHASES, "weeks": range(WEEKS),
        "timeline": timeline(roadmap),
        "gap_count": sum(len(q.gaps) for q in roadmap.questionnaires),
    }
