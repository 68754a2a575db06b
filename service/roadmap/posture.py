"""Where the company stands now and after each phase of the plan.

Frameworks: the share of covered, applicable requirements met (`framework_coverage`), judged
on a copy of the company in which the finished controls are implemented. Questionnaires: the
share of questions answerable "Yes" — today's, plus those each finished gap control unblocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from service.controls import (
    CompanyProfile,
    ControlState,
    Evidence,
    KnowledgeBase,
    Status,
    framework_coverage,
)

from .inputs import QuestionnaireGaps
from .schedule import PHASES, Schedule

MILESTONES = ("now", *(f"day {30 * (n + 1)}" for n in range(len(PHASES))))


@dataclass(frozen=True)
class FrameworkPosture:
    key: str
    title: str
    shares: tuple[float, ...]  # one per milestone


@dataclass(frozen=True)
class QuestionnairePosture:
    name: str
    label: str
    questions: int
    yes: tuple[int, ...]  # one per milestone

    @property
    def shares(self) -> tuple[float, ...]:
        return tuple(n / self.questions if self.questions else 0.0 for n in self.yes)


@dataclass(frozen=True)
class Posture:
    frameworks: tuple[FrameworkPosture, ...]
    questionnaires: tuple[QuestionnairePosture, ...]


def project_posture(
    kb: KnowledgeBase,
    company: CompanyProfile,
    questionnaires: Sequence[QuestionnaireGaps],
    plan: Schedule,
    on: date,
) -> Posture:
    done: list[set[str]] = [set()] + [plan.done_by_phase(p) for p in range(1, len(PHASES) + 1)]
    coverages = [framework_coverage(kb, as_if_implemented(company, ids, on), on) for ids in done]
    frameworks = tuple(
        FrameworkPosture(
            first.framework.key,
            first.framework.title,
            tuple(c[i].implemented_share for c in coverages),
        )
        for i, first in enumerate(coverages[0])
    )
    answered = tuple(
        QuestionnairePosture(
            q.name, q.label, q.question_count, tuple(len(_yes_after(q, ids)) for ids in done)
        )
        for q in questionnaires
    )
    return Posture(frameworks, answered)


def as_if_implemented(company: CompanyProfile, control_ids: set[str], on: date) -> CompanyProfile:
    """`company` with `control_ids` implemented and evidenced on `on` (what finishing a
    remediation item delivers)."""
    states = dict(company.control_states)
    evidence = dict(company.evidence)
    for control_id in sorted(control_ids):
        states[control_id] = ControlState(control_id, Status.IMPLEMENTED, "done in the roadmap")
        evidence[f"roadmap:{control_id}"] = Evidence(
            f"roadmap:{control_id}",
            f"Roadmap deliverable for {control_id}",
            "record",
            "",
            "",
            on,
            None,
            (control_id,),
        )
    return replace(company, control_states=states, evidence=evidence)


def _yes_after(questionnaire: QuestionnaireGaps, done: set[str]) -> set[str]:
    unblocked = {r for g in questionnaire.gaps if g.control_id in done for r in g.questions}
    return set(questionnaire.yes_refs) | unblocked
