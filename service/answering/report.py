"""The answered questionnaire as JSON: stable keys, stable order, rounded numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.controls import KnowledgeBase
from service.matching import ControlMatch, QuestionMatch

from .engine import FRAMEWORKS, AnsweredQuestionnaire
from .stored import answer_to_dict, to_json

TOP_MATCHES = 5


def to_json_dict(answered: AnsweredQuestionnaire, kb: KnowledgeBase) -> dict[str, Any]:
    questions = []
    for item in answered.answers:
        question, answer = item.question, item.answer
        questions.append(
            {
                "ref": question.ref,
                "text": question.text,
                "section": question.section,
                # the stored answer's own form, with the confidence rounded for reading
                "answer": {**answer_to_dict(answer), "confidence": round(answer.confidence, 3)},
                "matches": control_matches(item.match, kb),
                "citations": to_json(item.citations),
                "gap": item.gap,
                "polarity": item.match.understanding.polarity,
                "location": question.answer_location.to_dict(),
            }
        )
    return {
        "file": answered.questionnaire.filename,
        "as_of": answered.as_of.isoformat() if answered.as_of else None,
        "questions": questions,
        "gaps": [
            {
                "control": gap.control_id,
                "title": gap.title,
                "status": gap.status,
                "target_date": gap.target_date.isoformat() if gap.target_date else None,
                "questions": list(gap.questions),
                "frameworks": gap.frameworks,
            }
            for gap in answered.gaps
        ],
    }


def control_matches(
    match: QuestionMatch | Sequence[ControlMatch], kb: KnowledgeBase, limit: int = TOP_MATCHES
) -> list[dict[str, Any]]:
    """The best controls of a match (or its `controls`) for people to read: id, title, rounded
    score and SOC 2 / HIPAA / GDPR refs. A control no longer in the knowledge base keeps its
    id, with no title."""
    controls = match.controls if isinstance(match, QuestionMatch) else match
    shown = []
    for found in controls[:limit]:
        control = kb.controls.get(found.control_id)
        shown.append({
            "control": found.control_id,
            "title": control.title if control else "",
            "score": round(found.score, 3),
            "frameworks": {f: list(control.refs(f)) if control else [] for f in FRAMEWORKS},
        })
    return shown
