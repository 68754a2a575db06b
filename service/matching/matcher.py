"""Hybrid retrieval: which controls, fact and approved answer each question is about."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.controls import CompanyProfile, KnowledgeBase
from service.ingest import Question

from .embedder import Embedder
from .index import KnowledgeIndex, documents
from .understanding import Understanding, understand

TOP_K = 5
QUERY_CHUNK = 64
LEXICAL_WEIGHT = 0.12  # share of the fused score that comes from exact terms (BM25)
SECTION_WEIGHT = 0.2  # how much the section heading steers a question's embedding
# Logistic calibration of "the top control is what the question asks about" from the top fused
# score: (slope, midpoint), fitted by bench/calibrate.py on the labelled dev questionnaire.
CALIBRATION = (13.6, 0.662)


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


class Matcher:
    def __init__(
        self,
        kb: KnowledgeBase,
        company: CompanyProfile,
        embedder: Embedder | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.kb = kb
        self.company = company
        self.embedder = embedder or Embedder()
        self.index = KnowledgeIndex(documents(kb, company), self.embedder, cache_dir)

    def match(
        self, questions: Sequence[Question], progress: Callable[[int, int], None] | None = None
    ) -> list[QuestionMatch]:
        texts = [q.text for q in questions]
        vectors = self._query_vectors(questions, progress)
        control_scores = self._fused("control", texts, vectors)
        control_ids = sorted({t for t in self.index.targets("control")})
        facts = self._best("fact", vectors)
        library = self._best("library", vectors)
        results = []
        for i, text in enumerate(texts):
            row = control_scores[i]
            order = sorted(range(len(control_ids)), key=lambda j: (-row[j], control_ids[j]))
            top = tuple(
                ControlMatch(control_ids[j], round(float(row[j]), 4)) for j in order[:TOP_K]
            )
            results.append(
                QuestionMatch(top, _confidence(top), facts[i], library[i], understand(text))
            )
        return results

    def _query_vectors(
        self, questions: Sequence[Question], progress: Callable[[int, int], None] | None
    ) -> np.ndarray:
        sections = sorted({q.section for q in questions if q.section})
        section_vectors = dict(zip(sections, self.embedder.encode(sections), strict=True))
        # encode shortest first, in chunks for the progress bar: little padding per batch
        order = sorted(range(len(questions)), key=lambda i: (len(questions[i].text), i))
        matrix = np.zeros((len(questions), self.embedder.dimension), dtype=np.float32)
        for start in range(0, len(order), QUERY_CHUNK):
            chunk = order[start : start + QUERY_CHUNK]
            matrix[chunk] = self.embedder.encode([questions[i].text for i in chunk])
            if progress:
                progress(min(start + QUERY_CHUNK, len(order)), len(order))
        for i, question in enumerate(questions):
            if question.section in section_vectors:
                matrix[i] += SECTION_WEIGHT * section_vectors[question.section]
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return np.ascontiguousarray(matrix / np.maximum(norms, 1e-9), dtype=np.float32)

    def _fused(self, kind: str, texts: list[str], vectors: np.ndarray) -> np.ndarray:
        """Per question and target: best document's cosine plus the normalised BM25 score."""
        targets = self.index.targets(kind)
        names = sorted(set(targets))
        column = {name: j for j, name in enumerate(names)}
        owner = np.array([column[t] for t in targets])
        dense = self.index.dense(kind, vectors)
        fused = np.full((len(texts), len(names)), -1.0, dtype=np.float32)
        lexical = np.zeros_like(fused)
        for i, text in enumerate(texts):
            np.maximum.at(fused[i], owner, dense[i])
            bm25 = self.index.lexical[kind].scores(text)
            np.maximum.at(lexical[i], owner, bm25)
            top = lexical[i].max()
            if top > 0:
                lexical[i] /= top
        return fused + LEXICAL_WEIGHT * lexical

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


def _confidence(top: tuple[ControlMatch, ...]) -> float:
    if not top:
        return 0.0
    slope, midpoint = CALIBRATION
    return round(1 / (1 + math.exp(-slope * (top[0].score - midpoint))), 3)
