"""Hybrid retrieval: which controls, fact and approved answer each question is about, and
whether the best control backs what the question asks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from service.controls import CompanyProfile, KnowledgeBase
from service.ingest import Question

from .calibration import CALIBRATION, Calibration, MatchSignals
from .embedder import Embedder
from .index import KnowledgeIndex, documents
from .language import stems
from .queries import Query, queries
from .support import ControlVocabulary, Support, TermWeights, support
from .understanding import Understanding, merge_topics, unbacked_qualifiers, understand

TOP_K = 5
QUERY_CHUNK = 64
LEXICAL_WEIGHT = 0.12  # share of the fused score that comes from exact terms (BM25)
SECTION_WEIGHT = 0.2  # how much a section heading steers its questions' embeddings
# How much the question a follow-up follows steers it: a lot when it cannot be understood
# alone ("What is your strategy?"), a little otherwise.
PARENT_WEIGHT = {True: 1.0, False: 0.25}
_POLICY_STEM = frozenset(stems("policy policies"))


@dataclass(frozen=True)
class ControlMatch:
    control_id: str
    score: float  # fused relevance, higher is better


@dataclass(frozen=True)
class Candidate:
    target: str  # a fact key or an answer-library index
    score: float  # cosine similarity


@dataclass(frozen=True)
class QuestionMatch:
    controls: tuple[ControlMatch, ...]  # best first
    confidence: float  # calibrated probability that controls[0] is the right control
    fact: Candidate | None
    library: Candidate | None
    understanding: Understanding
    support: Support | None = None  # how far controls[0] backs what the question asks
    signals: MatchSignals | None = None  # what `confidence` was computed from
    policy_control: str | None = None  # for a policy question: the policy control beside it
    follows: str | None = None  # the ref of the question this one follows up

    def recalibrated(self, calibration: Calibration) -> QuestionMatch:
        if self.signals is None:
            return self
        return replace(self, confidence=calibration.confidence(self.signals))


class Matcher:
    def __init__(
        self,
        kb: KnowledgeBase,
        company: CompanyProfile,
        embedder: Embedder | None = None,
        cache_dir: Path | None = None,
        calibration: Calibration = CALIBRATION,
    ) -> None:
        self.kb = kb
        self.company = company
        self.embedder = embedder or Embedder()
        self.calibration = calibration
        self.index = KnowledgeIndex(documents(kb, company), self.embedder, cache_dir)
        self.vocabularies = {cid: ControlVocabulary.of(c) for cid, c in kb.controls.items()}
        self.weights = TermWeights(self.vocabularies.values())
        # controls whose title names a policy back the "documented policy" part of a question
        self.policy_controls = tuple(
            cid for cid, c in sorted(kb.controls.items()) if _POLICY_STEM & set(stems(c.title))
        )

    def match(
        self, questions: Sequence[Question], progress: Callable[[int, int], None] | None = None
    ) -> list[QuestionMatch]:
        asked = queries(questions)
        texts = [q.text for q in asked]
        vectors = self._query_vectors(questions, asked, progress)
        control_scores, dense = self._fused(texts, vectors)
        control_ids = sorted(set(self.index.targets("control")))
        facts = self._best("fact", vectors)
        library = self._best("library", vectors)
        understood = [understand(q.text) for q in questions]
        results = []
        for i in range(len(questions)):
            row = control_scores[i]
            order = sorted(range(len(control_ids)), key=lambda j: (-row[j], control_ids[j]))
            top = tuple(
                ControlMatch(control_ids[j], round(float(row[j]), 4)) for j in order[:TOP_K]
            )
            query = asked[i]
            understanding = understood[i]
            if query.parent is not None and query.dependent:
                understanding = merge_topics(understanding, understood[query.parent])
            results.append(self._judged(top, row, dense[i], control_ids, understanding, query,
                                        facts[i], library[i],
                                        questions[query.parent].ref
                                        if query.parent is not None else None))
        return results

    def _judged(
        self, top: tuple[ControlMatch, ...], row: np.ndarray, dense: np.ndarray,
        control_ids: list[str],
        understanding: Understanding, query: Query, fact: Candidate | None,
        library: Candidate | None, follows: str | None,
    ) -> QuestionMatch:
        if not top:
            return QuestionMatch(top, 0.0, fact, library, understanding, follows=follows)
        best = top[0].control_id
        backing = support(understanding, self.kb.controls[best], self.vocabularies[best],
                          self.weights)
        own = np.sort(dense[self._owners == control_ids.index(best)])
        depth = float(own[-2]) if len(own) > 1 else 0.0
        assert understanding.topic is not None
        signals = MatchSignals(top[0].score, round(depth, 4), backing.coverage,
                               self.weights.familiarity(understanding.topic))
        policy = None
        if understanding.policy and best not in self.policy_controls:
            # the policy control that commits to most of what the question asks of the policy
            # ("documented, approved …"), the closest of those
            column = {cid: j for j, cid in enumerate(control_ids)}
            policy = max(self.policy_controls, key=lambda c: (
                -len(unbacked_qualifiers(understanding.qualifiers, self.kb.controls[c].statement)),
                row[column[c]], c), default=None)
        return QuestionMatch(top, self.calibration.confidence(signals), fact, library,
                             understanding, backing, signals, policy, follows)

    def _query_vectors(
        self, questions: Sequence[Question], asked: list[Query],
        progress: Callable[[int, int], None] | None,
    ) -> np.ndarray:
        sizes = Counter(q.section for q in questions if q.section)
        sections = sorted(sizes)
        section_vectors = dict(zip(sections, self.embedder.encode(sections), strict=True))
        # encode shortest first, in chunks for the progress bar: little padding per batch
        order = sorted(range(len(asked)), key=lambda i: (len(asked[i].text), i))
        encoded = np.zeros((len(asked), self.embedder.dimension), dtype=np.float32)
        for start in range(0, len(order), QUERY_CHUNK):
            chunk = order[start : start + QUERY_CHUNK]
            encoded[chunk] = self.embedder.encode([asked[i].text for i in chunk])
            if progress:
                progress(min(start + QUERY_CHUNK, len(order)), len(order))
        matrix = encoded.copy()
        for i, question in enumerate(questions):
            if question.section in section_vectors:
                # a heading over most of the questionnaire says nothing about one question
                share = sizes[question.section] / len(questions)
                matrix[i] += SECTION_WEIGHT * (1 - share) * section_vectors[question.section]
            parent = asked[i].parent
            if parent is not None:
                matrix[i] += PARENT_WEIGHT[asked[i].dependent] * encoded[parent]
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return np.ascontiguousarray(matrix / np.maximum(norms, 1e-9), dtype=np.float32)

    @cached_property
    def _owners(self) -> np.ndarray:
        """For each control document, the column of its control (controls sorted by id)."""
        targets = self.index.targets("control")
        column = {name: j for j, name in enumerate(sorted(set(targets)))}
        return np.array([column[t] for t in targets], dtype=np.int64)

    def _fused(self, texts: list[str], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per question and control: its closest text's cosine plus the normalised BM25
        score; and the cosine of every control text."""
        owner = self._owners
        dense = self.index.dense("control", vectors)
        fused = np.full((len(texts), int(owner.max()) + 1 if len(owner) else 0), -1.0,
                        dtype=np.float32)
        lexical = np.zeros_like(fused)
        for i, text in enumerate(texts):
            np.maximum.at(fused[i], owner, dense[i])
            bm25 = self.index.lexical["control"].scores(text)
            np.maximum.at(lexical[i], owner, bm25)
            top = lexical[i].max()
            if top > 0:
                lexical[i] /= top
        return fused + LEXICAL_WEIGHT * lexical, dense

    def _best(self, kind: str, vectors: np.ndarray) -> list[Candidate | None]:
        dense = self.index.dense(kind, vectors)
        targets = self.index.targets(kind)
        if not targets:
            return [None] * len(vectors)
        best = []
        for row in dense:
            j = int(np.argmax(row))
            best.append(Candidate(targets[j], round(float(row[j]), 4)))
        return best

