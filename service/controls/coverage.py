"""How well the controls cover each framework, and how much of that the company has in place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from .model import CompanyProfile, Framework, KnowledgeBase, Requirement, Status
from .status import effective_status

RequirementState = Literal["uncovered", "met", "partly_met", "gap", "not_applicable", "unknown"]


@dataclass(frozen=True)
class RequirementCoverage:
    requirement: Requirement
    controls: tuple[str, ...]  # every control mapped to the requirement
    full_controls: tuple[str, ...]  # those that satisfy it on their own
    implemented: tuple[str, ...]  # mapped controls the company effectively has in place
    not_applicable: tuple[str, ...]
    assessed: bool  # False when no company profile was given

    @property
    def state(self) -> RequirementState:
        """met: every control that fully addresses the requirement is implemented (or, when
        none does, every control that partly does); partly_met: some mapped control is."""
        if not self.controls:
            return "uncovered"
        if not self.assessed:
            return "unknown"
        applicable = [c for c in self.controls if c not in self.not_applicable]
        if not applicable:
            return "not_applicable"
        decisive = [c for c in applicable if c in self.full_controls] or applicable
        if set(decisive) <= set(self.implemented):
            return "met"
        return "partly_met" if self.implemented else "gap"


@dataclass(frozen=True)
class FrameworkCoverage:
    framework: Framework
    requirements: tuple[RequirementCoverage, ...]  # in scope only: excluded ones are left out

    def count(self, state: RequirementState) -> int:
        return sum(r.state == state for r in self.requirements)

    @property
    def covered(self) -> int:
        return sum(bool(r.controls) for r in self.requirements)

    @property
    def fully_covered(self) -> int:
        return sum(bool(r.full_controls) for r in self.requirements)

    @property
    def controls_per_requirement(self) -> float:
        counts = [len(r.controls) for r in self.requirements if r.controls]
        return sum(counts) / len(counts) if counts else 0.0

    @property
    def implemented_share(self) -> float:
        """Share of the covered, applicable requirements the company meets."""
        applicable = self.covered - self.count("not_applicable")
        return self.count("met") / applicable if applicable else 0.0


def framework_coverage(kb: KnowledgeBase, company: CompanyProfile | None = None,
                       on: date | None = None) -> list[FrameworkCoverage]:
    statuses: dict[str, Status] = {}
    if company is not None:
        day = on or date.today()
        statuses = {c: effective_status(company, c, day).effective for c in kb.controls}
    results = []
    for framework in kb.frameworks.values():
        rows = []
        for requirement in framework.requirements.values():
            if requirement.scope == "excluded":
                continue
            mapped = [(c.id, m.strength) for c in kb.controls.values() for m in c.mappings
                      if m.framework == framework.key and m.ref == requirement.id]
            ids = tuple(control_id for control_id, _ in mapped)
            rows.append(RequirementCoverage(
                requirement=requirement,
                controls=ids,
                full_controls=tuple(c for c, strength in mapped if strength == "full"),
                implemented=tuple(c for c in ids if statuses.get(c) == Status.IMPLEMENTED),
                not_applicable=tuple(c for c in ids if statuses.get(c) == Status.NOT_APPLICABLE),
                assessed=company is not None,
            ))
        results.append(FrameworkCoverage(framework, tuple(rows)))
    return results

