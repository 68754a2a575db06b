"""Answering: evidence-gated answers to ingested questions, with citations and gap records.

matcher = Matcher(kb, company, cache_dir=settings.data_dir / "cache")
answered = answer_questionnaire(questionnaire, kb, company, matcher, on=date.today())
"""

from .engine import (
    Answer,
    AnsweredQuestion,
    AnsweredQuestionnaire,
    Citation,
    Gap,
    Thresholds,
    answer_matches,
    answer_questionnaire,
    collect_gaps,
    unsupported_absolutes,
)
from .report import control_matches, to_json_dict
from .stored import answer_from_dict, answer_to_dict, answered_from_dict, answered_to_dict
from .values import fit_verdict, verdict_of

__all__ = [
    "Answer",
    "AnsweredQuestion",
    "AnsweredQuestionnaire",
    "Citation",
    "Gap",
    "Thresholds",
    "answer_from_dict",
    "answer_matches",
    "answer_questionnaire",
    "answer_to_dict",
    "answered_from_dict",
    "answered_to_dict",
    "collect_gaps",
    "control_matches",
    "fit_verdict",
    "to_json_dict",
    "unsupported_absolutes",
    "verdict_of",
]
