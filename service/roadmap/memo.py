"""The words of the roadmap: template context and rendering shared by every output."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import jinja2

from service.settings import REPO_ROOT

from .plan import FRAMEWORK_NAMES, PrioritisedItem, money
from .posture import MILESTONES
from .roadmap import Roadmap
from .schedule import PHASES, ScheduledItem

TEMPLATE_DIR = REPO_ROOT / "frontend" / "templates" / "roadmap"
TOP_RISKS = 5
SEVERITY_ORDER = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class Phase:
    name: str
    items: tuple[ScheduledItem, ...]

    @property
    def days(self) -> float:
        return sum(s.item.effort_days for s in self.items)


@dataclass(frozen=True)
class Risk:
    item: PrioritisedItem
    when: str  # "done by 2026-12-18" or "after day 90"

    @property
    def why_short(self) -> str:
        """The item's reasons without the rank and the effort (shown next to it), and when it
        is dealt with."""
        reasons = self.item.why.split(": ", 1)[-1].split("; ")[:-1]
        return "; ".join([*reasons, self.when]) + "."

    def __getattr__(self, name: str) -> Any:  # why: templates read item fields directly
        return getattr(self.item, name)


def memo_context(roadmap: Roadmap) -> dict[str, Any]:
    plan = roadmap.schedule
    ends = {s.item.id: s.end for s in plan.scheduled}
    by_risk = sorted(roadmap.items, key=lambda i: (_severity_index(i.severity), i.rank))
    posture = roadmap.posture
    return {
        "company": roadmap.company,
        "start": roadmap.start,
        "last_day": plan.last_day,
        "items": roadmap.items,
        "scheduled": plan.scheduled,
        "deferred": plan.deferred,
        "scheduled_days": sum(s.item.effort_days for s in plan.scheduled),
        "deferred_days": sum(d.item.effort_days for d in plan.deferred),
        "roles": sorted({s.item.owner_role for s in plan.scheduled}),
        "phases": [Phase(name, roadmap.phase(n)) for n, name in enumerate(PHASES, start=1)],
        "top_risks": [
            Risk(i, f"done by {ends[i.id].isoformat()}" if i.id in ends else "after day 90")
            for i in by_risk[:TOP_RISKS]
        ],
        "milestones": MILESTONES,
        "frameworks": [
            {"name": FRAMEWORK_NAMES.get(f.key, f.key), "title": f.title, "shares": f.shares}
            for f in posture.frameworks
        ],
        "questionnaires": roadmap.questionnaires,
        "questionnaire_postures": posture.questionnaires,
        "deal_value": sum(q.deal.deal_value for q in roadmap.questionnaires),
        "question_total": sum(q.questions for q in posture.questionnaires),
        "yes_now": sum(q.yes[0] for q in posture.questionnaires),
        "yes_after": sum(q.yes[-1] for q in posture.questionnaires),
    }


def render(template: str, context: dict[str, Any]) -> str:
    return _ENV.get_template(template).render(**context)


def _severity_index(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _days(value: float) -> str:
    return f"{value:g} person-day{'s' if value != 1 else ''}"


def _long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # plain text and docx markup, never HTML
    trim_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters.update(
    pct=lambda share: f"{share:.0%}",
    money=money,
    days=_days,
    pad=lambda text, width: f"{text:<{width}}",
    longdate=_long_date,
)
