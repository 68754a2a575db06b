"""The roadmap as one value: prioritised, scheduled, projected; and its JSON form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.answering.engine import FRAMEWORKS
from service.controls import CompanyProfile, KnowledgeBase

from .inputs import QuestionnaireGaps
from .plan import PrioritisedItem, prioritise
from .posture import MILESTONES, Posture, project_posture
from .schedule import PHASES, DeferredItem, Schedule, ScheduledItem, schedule


@dataclass(frozen=True)
class Roadmap:
    company: str
    start: date
    questionnaires: tuple[QuestionnaireGaps, ...]
    items: tuple[PrioritisedItem, ...]  # by rank
    schedule: Schedule
    posture: Posture

    def phase(self, phase: int) -> tuple[ScheduledItem, ...]:
        return tuple(s for s in self.schedule.scheduled if s.phase == phase)

    @property
    def after_90_days(self) -> tuple[DeferredItem, ...]:
        return self.schedule.deferred


def build_roadmap(
    kb: KnowledgeBase,
    company: CompanyProfile,
    questionnaires: Sequence[QuestionnaireGaps],
    start: date,
    capacity: Mapping[str, float],
) -> Roadmap:
    """Judge the company on `start`, rank what needs doing, schedule it, project the posture."""
    items = prioritise(kb, company, questionnaires, start)
    plan = schedule(items, capacity, start)
    posture = project_posture(kb, company, questionnaires, plan, start)
    return Roadmap(company.name, start, tuple(questionnaires), tuple(items), plan, posture)


def to_json_dict(roadmap: Roadmap) -> dict[str, Any]:
    return {
        "start": roadmap.start.isoformat(),
        "items": [
            {
                **_item_dict(s.item),
                "phase": PHASES[s.phase - 1],
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
            }
            for s in roadmap.schedule.scheduled
        ],
        "after_90_days": [
            {**_item_dict(d.item), "reason": d.reason} for d in roadmap.after_90_days
        ],
        "posture": {
            "milestones": list(MILESTONES),
            "frameworks": {
                f.key: [round(s, 3) for s in f.shares] for f in roadmap.posture.frameworks
            },
            "questionnaires": {
                q.name: {
                    "questions": q.questions,
                    "yes": list(q.yes),
                    "share": [round(s, 3) for s in q.shares],
                }
                for q in roadmap.posture.questionnaires
            },
        },
    }


def _item_dict(item: PrioritisedItem) -> dict[str, Any]:
    return {
        "control": item.id,
        "title": item.control.title,
        "rank": item.rank,
        "owner_role": item.owner_role,
        "effort_days": item.effort_days,
        "severity": item.severity,
        "depends_on": list(item.depends_on),
        "prerequisite_for": list(item.prerequisite_for),
        "questions_unblocked": [f"{q.questionnaire} {q.ref}" for q in item.questions],
        "frameworks": {f: list(item.control.refs(f)) for f in FRAMEWORKS},
        "why": item.why,
    }
