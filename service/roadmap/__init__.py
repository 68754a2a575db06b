"""The 90-day remediation roadmap: gaps ranked by impact against effort, scheduled by
dependencies and team capacity, with the posture projected after each phase.

    questionnaires = [read_answer_json(path, DealContext("Northwind", 250_000))]
    roadmap = build_roadmap(kb, company, questionnaires, start, team_capacity(kb))
    to_json_dict(roadmap)
"""

from .inputs import (
    DEFAULT_CAPACITY,
    DealContext,
    QuestionnaireGaps,
    RoadmapInputError,
    load_capacity,
    load_deals,
    read_answer_json,
    team_capacity,
)
from .plan import PrioritisedItem, QuestionRef, plan_controls, prioritise
from .posture import Posture, project_posture
from .roadmap import Roadmap, build_roadmap, to_json_dict
from .schedule import DeferredItem, Schedule, ScheduledItem, schedule

__all__ = [
    "DEFAULT_CAPACITY",
    "DealContext",
    "DeferredItem",
    "Posture",
    "PrioritisedItem",
    "QuestionRef",
    "QuestionnaireGaps",
    "Roadmap",
    "RoadmapInputError",
    "Schedule",
    "ScheduledItem",
    "build_roadmap",
    "load_capacity",
    "load_deals",
    "plan_controls",
    "prioritise",
    "project_posture",
    "read_answer_json",
    "schedule",
    "team_capacity",
    "to_json_dict",
]
