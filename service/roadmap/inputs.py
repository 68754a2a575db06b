"""What the roadmap is planned from: each questionnaire's gaps and deal, and team capacity.

Gaps come either from a questionnaire answered now or from `candor answer --json` output read
back, so a plan can be redone (or tested) without running the matcher again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from service.answering.engine import FRAMEWORKS, AnsweredQuestionnaire, Gap
from service.answering.values import verdict_of
from service.controls import KnowledgeBase

# Person-days per week each role can give to remediation next to its day job. Security and
# infrastructure leads carry most of the work; executives sign off rather than build.
DEFAULT_CAPACITY: dict[str, float] = {
    "Security Lead": 3.0,
    "Infrastructure Lead": 2.5,
    "Engineering Manager": 2.0,
    "IT Lead": 2.0,
    "Privacy Officer": 2.0,
    "Product Manager": 1.0,
    "Head of People": 1.0,
    "Head of Customer Success": 1.0,
    "Office Manager": 1.0,
    "General Counsel": 1.0,
    "COO": 1.0,
    "CFO": 0.5,
    "CEO": 0.5,
}
CAPACITY_FOR_UNLISTED_ROLE = 1.0


class RoadmapInputError(ValueError):
    """A deals or capacity file, or a flag, that cannot be used as given."""


@dataclass(frozen=True)
class DealContext:
    prospect: str = ""
    deal_value: float = 0.0
    due_date: date | None = None
    frameworks: tuple[str, ...] = ()  # asked for by the prospect; empty means "not stated"


@dataclass(frozen=True)
class QuestionnaireGaps:
    name: str  # the questionnaire's file name
    question_count: int
    yes_refs: tuple[str, ...]  # questions answered "Yes" today
    gaps: tuple[Gap, ...]
    deal: DealContext = field(default_factory=DealContext)

    @property
    def label(self) -> str:
        return self.deal.prospect or self.name

    @classmethod
    def from_answered(cls, answered: AnsweredQuestionnaire, deal: DealContext) -> QuestionnaireGaps:
        yes = tuple(a.question.ref for a in answered.answers if verdict_of(a.answer.value) == "yes")
        return cls(
            answered.questionnaire.filename, len(answered.answers), yes, tuple(answered.gaps), deal
        )

    @classmethod
    def from_answer_json(cls, data: Mapping[str, Any], deal: DealContext) -> QuestionnaireGaps:
        """Read the output of `candor answer --json`."""
        questions = data.get("questions", [])
        yes = tuple(q["ref"] for q in questions if verdict_of(q["answer"]["value"]) == "yes")
        gaps = tuple(
            Gap(
                g["control"],
                g["title"],
                g["status"],
                date.fromisoformat(g["target_date"]) if g.get("target_date") else None,
                tuple(g["questions"]),
                {f: list(g.get("frameworks", {}).get(f, [])) for f in FRAMEWORKS},
            )
            for g in data.get("gaps", [])
        )
        return cls(data.get("file") or "questionnaire", len(questions), yes, gaps, deal)


def read_answer_json(path: Path, deal: DealContext) -> QuestionnaireGaps:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return QuestionnaireGaps.from_answer_json(data, deal)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise RoadmapInputError(
            f"{path}: not the output of `candor answer --json` ({exc})"
        ) from exc


def load_deals(path: Path) -> dict[str, DealContext]:
    """Deals keyed by questionnaire file name; see `candor roadmap --help` for the format."""
    raw = _read_yaml_mapping(path)
    deals = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise RoadmapInputError(
                f"{path}: {name}: expected prospect, deal_value, due_date, frameworks"
            )
        deals[str(name)] = deal_from_values(
            prospect=entry.get("prospect"),
            deal_value=entry.get("deal_value"),
            due_date=entry.get("due_date"),
            frameworks=entry.get("frameworks"),
            where=f"{path}: {name}",
        )
    return deals


def deal_from_values(
    prospect: object, deal_value: object, due_date: object, frameworks: object, where: str
) -> DealContext:
    """One deal from loosely typed values (YAML or flags), checked."""
    try:
        value = float(deal_value) if deal_value is not None else 0.0  # type: ignore[arg-type]
        due = date.fromisoformat(str(due_date)) if due_date not in (None, "") else None
    except ValueError as exc:
        raise RoadmapInputError(f"{where}: {exc}") from exc
    if isinstance(frameworks, str):
        frameworks = frameworks.split(",")
    keys = tuple(str(f).strip().lower() for f in frameworks or () if str(f).strip())
    unknown = [k for k in keys if k not in FRAMEWORKS]
    if unknown:
        raise RoadmapInputError(
            f"{where}: unknown framework(s) {', '.join(unknown)}; use {', '.join(FRAMEWORKS)}"
        )
    return DealContext(str(prospect or ""), value, due, keys)


def team_capacity(
    kb: KnowledgeBase, overrides: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Person-days per week for every owner role the knowledge base uses, then `overrides`."""
    roles = sorted({c.remediation.owner_role for c in kb.controls.values()})
    capacity = {r: DEFAULT_CAPACITY.get(r, CAPACITY_FOR_UNLISTED_ROLE) for r in roles}
    for role, days in (overrides or {}).items():
        if days < 0:
            raise RoadmapInputError(f"capacity for {role} must not be negative")
        capacity[role] = days
    return capacity


def parse_capacity_flag(text: str) -> tuple[str, float]:
    """`Security Lead=4` -> ("Security Lead", 4.0)."""
    role, sep, days = text.rpartition("=")
    try:
        if not sep or not role.strip():
            raise ValueError
        return role.strip(), float(days)
    except ValueError as exc:
        raise RoadmapInputError(f"--capacity {text!r}: expected ROLE=DAYS_PER_WEEK") from exc


def load_capacity(path: Path) -> dict[str, float]:
    raw = _read_yaml_mapping(path)
    try:
        return {str(role): float(days) for role, days in raw.items()}
    except (TypeError, ValueError) as exc:
        raise RoadmapInputError(f"{path}: expected 'role: days per week' lines ({exc})") from exc


def _read_yaml_mapping(path: Path) -> dict[Any, Any]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RoadmapInputError(f"{path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise RoadmapInputError(f"{path}: expected a mapping at the top level")
    return raw
