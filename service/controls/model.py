"""The knowledge base as plain typed values: frameworks, unified controls, a company's state.

`source` fields say where an entry was read from; they are left out of equality so that a
knowledge base read back from the database compares equal to the one loaded from YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Literal

from .issues import display_path

Strength = Literal["full", "partial"]
STRENGTHS: tuple[str, ...] = ("full", "partial")
Scope = Literal["core", "supporting", "excluded"]
SCOPES: tuple[str, ...] = ("core", "supporting", "excluded")
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")

# What can prove a control; controls name the types that would, company evidence has one.
EVIDENCE_TYPES: tuple[str, ...] = (
    "policy", "procedure", "plan", "configuration", "screenshot", "report", "log_extract",
    "ticket", "record", "training_record", "contract", "attestation", "scan_report",
    "pentest_report", "test_result", "diagram", "product_documentation",
)


class Status(StrEnum):
    IMPLEMENTED = "implemented"
    PARTIAL = "partial"
    PLANNED = "planned"
    NOT_IMPLEMENTED = "not_implemented"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class SourceRef:
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}"


NO_SOURCE = SourceRef(Path("<database>"), 0)


@dataclass(frozen=True)
class Requirement:
    framework: str
    id: str
    title: str
    group: str  # SOC 2 group, HIPAA section, GDPR chapter
    kind: str = ""  # HIPAA: standard | impl_spec | provision | breach_notification | privacy_rule
    required: str = ""  # HIPAA: R | A | R*
    parent: str = ""  # HIPAA: the standard an implementation specification belongs to
    scope: Scope = "core"
    scope_reason: str = ""
    source: SourceRef = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Framework:
    key: str  # soc2 | hipaa | gdpr
    title: str
    version: str
    requirements: dict[str, Requirement]
    source: SourceRef = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Mapping:
    framework: str
    ref: str
    strength: Strength


@dataclass(frozen=True)
class Remediation:
    steps: tuple[str, ...]
    effort_days: float
    owner_role: str
    severity: str
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerTemplates:
    """Jinja2 templates per status; None means "use the knowledge base default"."""

    implemented: str | None = None
    partial: str | None = None
    not_implemented: str | None = None
    not_applicable: str | None = None


@dataclass(frozen=True)
class Control:
    id: str
    domain: str
    title: str
    statement: str
    questions: tuple[str, ...]
    mappings: tuple[Mapping, ...]  # per framework, primary first
    answers: AnswerTemplates
    remediation: Remediation
    evidence_types: tuple[str, ...]
    mapping_reason: str = ""  # why the control maps unusually broadly (or not at all)
    source: SourceRef = field(default=NO_SOURCE, compare=False, repr=False)

    def refs(self, framework: str) -> tuple[str, ...]:
        return tuple(m.ref for m in self.mappings if m.framework == framework)


@dataclass(frozen=True)
class Domain:
    id: str  # the prefix of its controls' ids, e.g. IAM
    title: str
    source: SourceRef = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class KnowledgeBase:
    frameworks: dict[str, Framework]
    domains: dict[str, Domain]
    controls: dict[str, Control]
    answer_defaults: AnswerTemplates


FactValue = str | int | float | bool | tuple[str, ...]


@dataclass(frozen=True)
class Fact:
    key: str
    value: FactValue
    questions: tuple[str, ...]
    source: SourceRef = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class ControlState:
    control_id: str
    status: Status
    note: str = ""
    owner: str = ""
    target_date: date | None = None
    source: SourceRef = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class Evidence:
    id: str
    title: str
    type: str
    location: str
    owner: str
    collected: date
    expires: date | None
    controls: tuple[str, ...]
    source: SourceRef = field(default=NO_SOURCE, compare=False, repr=False)

    def valid_on(self, day: date) -> bool:
        """Evidence counts from the day it was collected up to and including its expiry day."""
        return self.collected <= day and (self.expires is None or day <= self.expires)


@dataclass(frozen=True)
class ApprovedAnswer:
    question: str
    answer: str
    controls: tuple[str, ...] = ()
    source: SourceRef = field(default=NO_SOURCE, compare=False, repr=False)


@dataclass(frozen=True)
class CompanyProfile:
    key: str  # the profile's file stem, e.g. larkspur-health
    name: str
    facts: dict[str, Fact]
    control_states: dict[str, ControlState]
    evidence: dict[str, Evidence]
    answer_library: tuple[ApprovedAnswer, ...]
    source: SourceRef = field(default=NO_SOURCE, compare=False, repr=False)

    def declared_status(self, control_id: str) -> Status:
        """A control the profile does not list is not implemented."""
        state = self.control_states.get(control_id)
        return state.status if state else Status.NOT_IMPLEMENTED

    def evidence_for(self, control_id: str) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence.values() if control_id in e.controls)
