"""Matching: which controls, company fact and approved answer each question is about, and
whether the closest control backs what the question asks.

matcher = Matcher(kb, company, cache_dir=settings.data_dir / "cache")
matches = matcher.match(questionnaire.questions)   # one QuestionMatch per question
matches[0].controls[0].control_id, matches[0].confidence, matches[0].support.objections

Nothing here loads the embedding model until the first match (it costs seconds to import).
"""

from .calibration import CALIBRATION, Calibration, MatchSignals, fit
from .embedder import Embedder
from .matcher import Candidate, ControlMatch, Matcher, QuestionMatch
from .support import ControlVocabulary, Support, TermWeights, support
from .understanding import Topic, Understanding, unbacked_qualifiers, understand

__all__ = [
    "CALIBRATION",
    "Calibration",
    "Candidate",
    "ControlMatch",
    "ControlVocabulary",
    "Embedder",
    "MatchSignals",
    "Matcher",
    "QuestionMatch",
    "Support",
    "TermWeights",
    "Topic",
    "Understanding",
    "fit",
    "support",
    "unbacked_qualifiers",
    "understand",
]
