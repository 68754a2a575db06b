"""The 90-day roadmap over every answered questionnaire, and what its page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fastapi import Request
from sqlmodel import Session

from service.roadmap import DealContext, QuestionnaireGaps, Roadmap, build_roadmap, team_capacity
from service.roadmap.posture import MILESTONES
from service.roadmap.schedule import HORIZON_DAYS, PHASES, ScheduledItem

from .exports import reviewed_answers
from .knowledge import Knowledge
from .models import QuestionnaireRecord
from .questionnaires import list_questionnaires

WEEKS = -(-HORIZON_DAYS // 7)  # the timeline's columns: every week the horizon touches


def questionnaire_gaps(
    session: Session, data_dir: Path, knowledge: Knowledge, on: date
) -> list[QuestionnaireGaps]:
    """Each fully answered questionnaire's gaps (from the reviewed answers) with its deal."""
    found = []
    for record, state in list_questionnaires(session):
        if not state.questions or state.answered < state.questions:
            continue  # still answering: its gaps are not known yet
        answered = reviewed_answers(session, data_dir, knowledge, record, on)
        found.append(QuestionnaireGaps.from_answered(answered, _deal(record)))
    return found


def _deal(record: QuestionnaireRecord) -> DealContext:
    return DealContext(record.prospect, float(record.deal_value or 0), record.due_date,
                       tuple(record.frameworks))


def roadmap_from_today(request: Request, session: Session) -> Roadmap:
    """The plan starting today with the default team capacity."""
    data_dir, knowledge = request.app.state.settings.data_dir, request.app.state.knowledge
    start = date.today()
    questionnaires = questionnaire_gaps(session, data_dir, knowledge, start)
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
