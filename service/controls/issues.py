"""Problems found in the knowledge base, each pointing at a file, a line and an entry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    path: Path
    line: int  # 1-based; 0 when the problem concerns a whole file or folder
    entry: str  # the id of the entry at fault ("" when the problem is not inside one)
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""  # 0: the problem is the path itself
        where = f"{display_path(self.path)}{line}: "
        entry = f"entry {self.entry}: " if self.entry else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}{prefix}{entry}{self.message}"


class KnowledgeError(Exception):
    """The knowledge base or a company profile is invalid; `issues` says where and why."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


def display_path(path: Path) -> str:
    """Paths under the working directory print relative to it: shorter and clickable."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
