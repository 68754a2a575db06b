"""The searchable knowledge base: control, fact and answer-library texts, embedded once and cached.

Embeddings are cached on disk keyed by the model's fingerprint and a hash of every indexed
text, so a changed phrasing or a different model rebuilds the cache and nothing else does.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.controls import CompanyProfile, KnowledgeBase

from .embedder import Embedder
from .lexical import BM25


@dataclass(frozen=True)
class Document:
    kind: str  # "control" | "fact" | "library"
    target: str  # control id, fact key, or library index
    text: str


def documents(kb: KnowledgeBase, company: CompanyProfile) -> list[Document]:
    docs: list[Document] = []
    for control in kb.controls.values():
        docs.append(Document("control", control.id, control.title))
        docs.append(Document("control", control.id, control.statement))
        docs.extend(Document("control", control.id, phrase) for phrase in control.questions)
    for fact in company.facts.values():
        docs.append(Document("fact", fact.key, fact.key.replace("_", " ")))
        docs.extend(Document("fact", fact.key, phrase) for phrase in fact.questions)
    for i, approved in enumerate(company.answer_library):
        docs.append(Document("library", str(i), approved.question))
    return docs


class KnowledgeIndex:
    """Dense (faiss, inner product on normalised vectors) and lexical (BM25) views of one set of
    documents, searched per kind."""

    def __init__(self, docs: list[Document], embedder: Embedder, cache_dir: Path | None) -> None:
        import faiss

        self.docs = docs
        self.embedder = embedder
        vectors = self._vectors(cache_dir)
        self.by_kind: dict[str, np.ndarray] = {}
        self.indexes: dict[str, faiss.IndexFlatIP] = {}
        self.lexical: dict[str, BM25] = {}
        for kind in ("control", "fact", "library"):
            positions = np.array([i for i, d in enumerate(docs) if d.kind == kind], dtype=np.int64)
            self.by_kind[kind] = positions
            index = faiss.IndexFlatIP(vectors.shape[1])
            if len(positions):
                index.add(vectors[positions])
            self.indexes[kind] = index
            self.lexical[kind] = BM25([docs[i].text for i in positions])

    def _vectors(self, cache_dir: Path | None) -> np.ndarray:
        digest = hashlib.sha256()
        for doc in self.docs:
            digest.update(f"{doc.kind}\x1f{doc.target}\x1f{doc.text}\x1e".encode())
        name = f"kb-{self.embedder.fingerprint}-{digest.hexdigest()[:20]}.npy"
        path = cache_dir / name if cache_dir else None
        if path and path.is_file():
            vectors = np.load(path)
            if vectors.shape[0] == len(self.docs):
                return vectors
        vectors = self.embedder.encode([d.text for d in self.docs])
        if path:
            _atomic_save(path, vectors)
        return vectors

    def dense(self, kind: str, queries: np.ndarray) -> np.ndarray:
        """Cosine of every query against every document of `kind`: (queries, docs)."""
        positions = self.by_kind[kind]
        if not len(positions) or not len(queries):
            return np.zeros((len(queries), len(positions)), dtype=np.float32)
        scores, ids = self.indexes[kind].search(queries, len(positions))
        dense = np.zeros_like(scores)
        np.put_along_axis(dense, ids, scores, axis=1)
        return dense

    def targets(self, kind: str) -> list[str]:
        return [self.docs[i].target for i in self.by_kind[kind]]


def _atomic_save(path: Path, vectors: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, vectors)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
