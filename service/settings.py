"""The one explicit settings object: where data lives and which database to use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = REPO_ROOT / "knowledge"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    knowledge_dir: Path = KNOWLEDGE_DIR

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike[str] | None = None) -> Settings:
        root = Path(data_dir or os.environ.get("CANDOR_DATA_DIR") or Path.cwd() / ".candor")
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{root / 'candor.db'}"
        return cls(
            data_dir=root,
            database_url=url,
            knowledge_dir=Path(os.environ.get("CANDOR_KNOWLEDGE_DIR") or KNOWLEDGE_DIR),
        )
