"""What a company can truthfully claim about a control on a given day.

A declared "implemented" only stands while evidence backs it: once every piece of evidence
has expired (or there never was any) the control counts as partial, so it cannot back a "Yes".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .issues import Issue
from .model import CompanyProfile, Evidence, Status

# Evidence this close to expiry is flagged so it can be renewed before answers degrade.
EXPIRY_WARNING_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class ControlAssessment:
    control_id: str
    declared: Status
    effective: Status
    reason: str  # why the effective status is what it is, fit to show a reviewer
    valid_evidence: tuple[Evidence, ...]
    expired_evidence: tuple[Evidence, ...]

    @property
    def downgraded(self) -> bool:
        return self.effective != self.declared

    @property
    def supports_yes(self) -> bool:
        return self.effective == Status.IMPLEMENTED


def effective_status(company: CompanyProfile, control_id: str, on: date) -> ControlAssessment:
    """The status `company` may claim for `control_id` on day `on`, and why."""
    declared = company.declared_status(control_id)
    state = company.control_states.get(control_id)
    note = state.note if state else ""
    evidence = company.evidence_for(control_id)
    valid = tuple(e for e in evidence if e.valid_on(on))
    expired = tuple(e for e in evidence if e.expires is not None and e.expires < on)
    effective, reason = declared, note
    if declared == Status.IMPLEMENTED and not valid:
        effective = Status.PARTIAL
        if expired:
            lapsed = ", ".join(f"{e.id} '{e.title}' expired {e.expires}" for e in expired)
            reason = f"In place, but the evidence proving it has lapsed ({lapsed})."
        else:
            reason = "In place, but no evidence on file proves it yet."
        reason = f"{reason} {note}".strip()
    return ControlAssessment(control_id, declared, effective, reason, valid, expired)


def review_company(company: CompanyProfile, on: date) -> list[Issue]:
    """Warnings about a valid profile: claims evidence no longer backs, dates running out."""
    warnings: list[Issue] = []
    for state in company.control_states.values():
        where = state.source
        if state.status == Status.IMPLEMENTED:
            assessment = effective_status(company, state.control_id, on)
            if assessment.downgraded:
                warnings.append(Issue(where.path, where.line, state.control_id,
                                      f"counted as partial: {assessment.reason}", "warning"))
        elif state.target_date and state.target_date < on:
            warnings.append(Issue(where.path, where.line, state.control_id,
                                  f"{state.status} with target date {state.target_date} passed",
                                  "warning"))
    for item in company.evidence.values():
        if item.expires and on <= item.expires <= on + EXPIRY_WARNING_WINDOW:
            warnings.append(Issue(item.source.path, item.source.line, item.id,
                                  f"evidence expires on {item.expires}", "warning"))
    return warnings
