"""The answered questionnaire as JSON: stable keys, stable order, rounded numbers."""

from __future__ import annotations

from typing import Any

from service.controls import KnowledgeBase

from .engine import FRAMEWORKS, AnsweredQuestionnaire


def to_json_dict(answered: AnsweredQuestionnaire, kb: KnowledgeBase) -> dict[str, Any]:
    questions = []
    for item in answered.answers:
        question, answer = item.question, item.answer
        questions.append(
            {
                "ref": question.ref,
                "text": question.text,
                "section": question.section,
                "answer": {
                    "value": answer.value,
                    "comment": answer.comment,
                    "note": answer.note,
                    "confidence": round(answer.confidence, 3),
                    "status": answer.status,
                    "basis": answer.basis,
                },
                "matches": [
                    {
                        "control": match.control_id,
                        "title": kb.controls[match.control_id].title,
                        "score": round(match.score, 3),
                        "frameworks": {
                            f: list(kb.controls[match.control_id].refs(f)) for f in FRAMEWORKS
                        },
                    }
                    for match in item.match.controls[:5]
                ],
                "citations": [c.to_dict() for c in item.citations],
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
