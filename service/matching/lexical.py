"""BM25 over short documents: catches the exact terms (SAML, TLS, BAA) embeddings blur."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:[./-][a-z0-9]+)*")
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "please",
        "provide",
        "such",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
        "yours",
        "describe",
        "explain",
        "list",
    }
)


def tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


class BM25:
    """Okapi BM25 with an inverted index: a query touches only the documents sharing a term."""

    def __init__(self, documents: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(documents)
        counts = [Counter(tokens(d)) for d in documents]
        lengths = [sum(c.values()) for c in counts]
        average = sum(lengths) / max(self.size, 1)
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc, (terms, length) in enumerate(zip(counts, lengths, strict=True)):
            for term, tf in terms.items():
                saturation = tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average))
                postings[term].append((doc, saturation))
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, entries in postings.items():
            idf = math.log(1 + (self.size - len(entries) + 0.5) / (len(entries) + 0.5))
            docs = np.array([d for d, _ in entries], dtype=np.int64)
            weights = np.array([w * idf for _, w in entries], dtype=np.float32)
            self.postings[term] = (docs, weights)

    def scores(self, query: str) -> np.ndarray:
        result = np.zeros(self.size, dtype=np.float32)
        for term in dict.fromkeys(tokens(query)):
            if term in self.postings:
                docs, weights = self.postings[term]
                result[docs] += weights
        return result
