"""Loading and validating the knowledge base and a company profile from YAML.

Every problem is collected as an `Issue` (file, line, entry, message) so one run reports all
of them; loading raises `KnowledgeError` when any is an error. When a file cannot be parsed at
all, cross-file checks are skipped: they would only echo the same fault as unknown references.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

import jinja2

from .answers import TEMPLATE_ENV
from .issues import Issue, KnowledgeError
from .model import (
    EVIDENCE_TYPES,
    SCOPES,
    SEVERITIES,
    STRENGTHS,
    AnswerTemplates,
    ApprovedAnswer,
    CompanyProfile,
    Control,
    ControlState,
    Domain,
    Evidence,
    Fact,
    FactValue,
    Framework,
    KnowledgeBase,
    Mapping,
    Remediation,
    Requirement,
    SourceRef,
    Status,
)
from .yamlsource import Entry, LineMap, read_yaml

CONTROL_ID = re.compile(r"^([A-Z]{2,4})-\d{2,3}$")
# A control mapped to many SOC 2 criteria matches every question and answers none precisely.
MAX_SOC2_REFS_WITHOUT_REASON = 4
ANSWER_DEFAULTS_FILE = "answer_defaults.yaml"
# The demo's sample company, relative to the knowledge directory.
SAMPLE_PROFILE = Path("company") / "larkspur-health.yaml"
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
# Statuses whose answer explains itself only with a note (what is missing, or why N/A).
STATUSES_NEEDING_NOTE = (Status.PARTIAL, Status.PLANNED, Status.NOT_APPLICABLE)


def load_knowledge_base(root: Path) -> KnowledgeBase:
    """Read `root`/frameworks, `root`/controls and the answer defaults; raise on any error."""
    issues: list[Issue] = []
    kb = _read_knowledge_base(Path(root), issues)
    if issues:
        raise KnowledgeError(issues)
    return kb


def load_company(path: Path, kb: KnowledgeBase) -> CompanyProfile:
    """Read one company profile and check it against the knowledge base; raise on any error."""
    issues: list[Issue] = []
    company = _read_company(Path(path), kb, issues)
    if company is None or issues:
        raise KnowledgeError(issues)
    return company


# --- knowledge base -------------------------------------------------------------------------


@dataclass
class _Reading:
    """State shared while reading the knowledge base files."""

    issues: list[Issue]
    unreadable: bool = False  # a file could not be parsed: cross-file checks would only echo it
    bad_mapping: bool = False  # a mapping was rejected: coverage gaps would only echo it
    frameworks: dict[str, Framework] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    controls: dict[str, Control] = field(default_factory=dict)
    depends_on_lines: dict[str, SourceRef] = field(default_factory=dict)
    # (framework, ref) pairs mapped by any control read, duplicates included, so that a
    # duplicate id is reported once rather than again as requirements it leaves uncovered.
    mapped: set[tuple[str, str]] = field(default_factory=set)

    def document(self, path: Path) -> Entry | None:
        data = read_yaml(path, self.issues)
        if data is None:
            self.unreadable = True
            return None
        if not isinstance(data, LineMap):
            self.issues.append(Issue(path, 1, "", "the file must hold a YAML mapping"))
            self.unreadable = True
            return None
        return Entry(data, path, "", self.issues)


def _read_knowledge_base(root: Path, issues: list[Issue]) -> KnowledgeBase:
    reading = _Reading(issues)
    if not root.is_dir():
        issues.append(Issue(root, 0, "", "knowledge directory not found"))
        return KnowledgeBase({}, {}, {}, AnswerTemplates())
    for path in _yaml_files(root / "frameworks", issues):
        _read_framework(path, reading)
    defaults = _read_answer_defaults(root / ANSWER_DEFAULTS_FILE, reading)
    for path in _yaml_files(root / "controls", issues):
        _read_domain_file(path, reading)
    if not reading.unreadable:
        _check_dependencies(reading)
        if not reading.bad_mapping:
            _check_core_coverage(reading)
    return KnowledgeBase(reading.frameworks, reading.domains, reading.controls, defaults)


def _yaml_files(folder: Path, issues: list[Issue]) -> list[Path]:
    files = sorted(folder.glob("*.yaml"))
    if not files:
        issues.append(Issue(folder, 0, "", "no .yaml files found"))
    return files


def _read_framework(path: Path, reading: _Reading) -> None:
    doc = reading.document(path)
    if doc is None:
        return
    doc.reject_unknown({"framework", "title", "version", "requirements"})
    key = doc.text("framework")
    if key in reading.frameworks:
        doc.problem("framework", f"framework {key!r} is already defined in "
                                 f"{reading.frameworks[key].source}")
        return
    requirements: dict[str, Requirement] = {}
    for entry in doc.entries("requirements", "id"):
        requirement = _read_requirement(entry, key)
        _keep_unique(entry, "id", requirements, requirement.id, requirement)
    reading.frameworks[key] = Framework(key, doc.text("title"), doc.text("version"), requirements,
                                        SourceRef(path, doc.data.line))


def _read_requirement(entry: Entry, framework: str) -> Requirement:
    entry.reject_unknown({"id", "title", "group", "kind", "required", "parent", "scope",
                          "scope_reason"})
    scope = entry.choice("scope", SCOPES, default="core")
    reason = entry.text("scope_reason", required=scope == "excluded")
    return Requirement(
        framework=framework, id=entry.text("id"), title=entry.text("title"),
        group=entry.text("group"), kind=entry.text("kind", required=False),
        required=entry.text("required", required=False),
        parent=entry.text("parent", required=False), scope=scope,
        scope_reason=reason, source=SourceRef(entry.path, entry.data.line))


def _read_answer_defaults(path: Path, reading: _Reading) -> AnswerTemplates:
    doc = reading.document(path)
    if doc is None:
        return AnswerTemplates()
    keys = ("partial", "not_implemented", "not_applicable")
    doc.reject_unknown(set(keys))
    return AnswerTemplates(**{key: _template(doc, key, required=True) for key in keys})


def _template(entry: Entry, key: str, *, required: bool) -> str | None:
    text = entry.text(key, required=required)
    if not text:
        return None
    try:
        TEMPLATE_ENV.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        entry.problem(key, f"answer template {key!r} is not valid Jinja2: {exc.message}")
    return text


def _read_domain_file(path: Path, reading: _Reading) -> None:
    doc = reading.document(path)
    if doc is None:
        return
    doc.reject_unknown({"domain", "controls"})
    domain_entry = replace(doc, entry="domain").child("domain")
    if domain_entry is None:
        reading.unreadable = True  # its controls cannot be attributed to a domain
        return
    domain_entry.reject_unknown({"id", "title"})
    domain = Domain(domain_entry.text("id"), domain_entry.text("title"),
                    SourceRef(path, domain_entry.data.line))
    if domain.id in reading.domains:  # still read its controls: their ids are checked anyway
        domain_entry.problem("id", f"domain {domain.id!r} is already defined in "
                                   f"{reading.domains[domain.id].source}")
    else:
        reading.domains[domain.id] = domain
    if not isinstance(doc.data.get("controls"), list):
        reading.unreadable = True  # a file without its control list leaves dangling references
    for entry in doc.entries("controls", "id"):
        control = _read_control(entry, domain.id, reading)
        _keep_unique(entry, "id", reading.controls, control.id, control)


def _read_control(entry: Entry, domain: str, reading: _Reading) -> Control:
    entry.reject_unknown({"id", "title", "statement", "questions", "mappings", "mapping_reason",
                          "answers", "remediation", "evidence_types"})
    control_id = entry.text("id")
    shape = CONTROL_ID.match(control_id)
    if control_id and not shape:
        entry.problem("id", "control id must look like ABC-01")
    elif shape and domain and shape.group(1) != domain:
        entry.problem("id", f"control id must start with its domain prefix {domain!r}")
    mappings = _read_mappings(entry, reading)
    reading.mapped.update((m.framework, m.ref) for m in mappings)
    reason = entry.text("mapping_reason", required=False)
    soc2_count = sum(m.framework == "soc2" for m in mappings)
    if soc2_count > MAX_SOC2_REFS_WITHOUT_REASON and not reason:
        entry.problem("mappings", f"maps to {soc2_count} SOC 2 criteria (more than "
                                  f"{MAX_SOC2_REFS_WITHOUT_REASON}) without a 'mapping_reason'")
    if not mappings and not reason:
        entry.problem("mappings", "has no framework mappings and no 'mapping_reason' saying why")
    evidence_types = entry.texts("evidence_types", min_items=1)
    for unknown in sorted(set(evidence_types) - set(EVIDENCE_TYPES)):
        entry.problem("evidence_types", f"unknown evidence type {unknown!r} "
                                        f"(known: {', '.join(EVIDENCE_TYPES)})")
    remediation = _read_remediation(entry, control_id, reading)
    return Control(
        id=control_id, domain=domain, title=entry.text("title"),
        statement=entry.text("statement"), questions=entry.texts("questions", min_items=3),
        mappings=mappings, answers=_read_answers(entry), remediation=remediation,
        evidence_types=evidence_types, mapping_reason=reason,
        source=SourceRef(entry.path, entry.data.line))


def _read_mappings(entry: Entry, reading: _Reading) -> tuple[Mapping, ...]:
    """`mappings: {soc2: {CC6.1: full, ...}, ...}`: keys in order, primary reference first."""
    found: list[Mapping] = []
    table = entry.optional_mapping("mappings")
    for framework_key, refs in table.items():
        framework = reading.frameworks.get(framework_key)
        line = table.line_of(framework_key)
        if framework is None:
            if not reading.unreadable:  # else the framework file itself is the problem
                _mapping_problem(reading, entry, line,
                                 f"unknown framework {framework_key!r} in mappings")
        elif not isinstance(refs, LineMap):
            _mapping_problem(reading, entry, line,
                             f"mappings.{framework_key} must map references to full or partial")
        else:
            for ref, strength in refs.items():
                problem = _reference_problem(framework, ref, strength)
                if problem:
                    _mapping_problem(reading, entry, refs.line_of(ref), problem)
                else:
                    found.append(Mapping(framework.key, ref, strength))
    return tuple(found)


def _reference_problem(framework: Framework, ref: object, strength: object) -> str | None:
    key = framework.key
    if not isinstance(ref, str):
        return f"{key} reference {ref!r} must be quoted text (YAML read it as a number)"
    if ref not in framework.requirements:
        return f"unknown {key} reference {ref!r} (not in {framework.source.path.name})"
    if framework.requirements[ref].scope == "excluded":
        return f"maps to {key} {ref}, which is excluded from scope"
    if strength not in STRENGTHS:
        return f"mapping strength for {ref} must be full or partial, got {strength!r}"
    return None


def _problem_at(entry: Entry, line: int, message: str) -> None:
    entry.issues.append(Issue(entry.path, line, entry.entry, message))


def _mapping_problem(reading: _Reading, entry: Entry, line: int, message: str) -> None:
    reading.bad_mapping = True
    _problem_at(entry, line, message)


def _read_answers(entry: Entry) -> AnswerTemplates:
    answers = entry.child("answers")
    if answers is None:
        return AnswerTemplates()
    keys = ("implemented", "partial", "not_implemented", "not_applicable")
    answers.reject_unknown(set(keys))
    return AnswerTemplates(**{key: _template(answers, key, required=key == "implemented")
                              for key in keys})


def _read_remediation(entry: Entry, control_id: str, reading: _Reading) -> Remediation:
    reading.depends_on_lines[control_id] = SourceRef(entry.path, entry.data.line)
    plan = entry.child("remediation")
    if plan is None:
        return Remediation(steps=(), effort_days=0.0, owner_role="", severity="")
    plan.reject_unknown({"steps", "effort_days", "owner_role", "severity", "depends_on"})
    reading.depends_on_lines[control_id] = SourceRef(entry.path, plan.data.line_of("depends_on"))
    return Remediation(
        steps=plan.texts("steps", min_items=1), effort_days=plan.number("effort_days"),
        owner_role=plan.text("owner_role"), severity=plan.choice("severity", SEVERITIES),
        depends_on=plan.texts("depends_on"))


def _check_dependencies(reading: _Reading) -> None:
    controls = reading.controls
    for control in controls.values():
        where = reading.depends_on_lines[control.id]
        for dependency in control.remediation.depends_on:
            if dependency == control.id:
                _add(reading, where, control.id, "depends_on lists the control itself")
            elif dependency not in controls:
                _add(reading, where, control.id, f"depends_on names unknown control "
                                                 f"{dependency!r}")
    for cycle in _dependency_cycles(controls):
        _add(reading, reading.depends_on_lines[cycle[0]], cycle[0],
             "depends_on forms a cycle: " + " -> ".join([*cycle, cycle[0]]))


def _dependency_cycles(controls: dict[str, Control]) -> list[list[str]]:
    """Each cycle once, starting at the member that comes first in file order."""
    order = {control_id: index for index, control_id in enumerate(controls)}
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(control_id: str, path: list[str]) -> None:
        if control_id in path:
            cycle = path[path.index(control_id):]
            start = min(range(len(cycle)), key=lambda i: order[cycle[i]])
            rotated = cycle[start:] + cycle[:start]
            if rotated not in cycles:
                cycles.append(rotated)
            return
        if control_id in done:
            return
        for dependency in controls[control_id].remediation.depends_on:
            if dependency in controls and dependency != control_id:
                visit(dependency, [*path, control_id])
        done.add(control_id)

    for control_id in controls:
        visit(control_id, [])
    return cycles


def _check_core_coverage(reading: _Reading) -> None:
    for framework in reading.frameworks.values():
        for requirement in framework.requirements.values():
            mapped = (framework.key, requirement.id) in reading.mapped
            if requirement.scope == "core" and not mapped:
                _add(reading, requirement.source, requirement.id,
                     f"no control maps to this core {framework.key} requirement")


def _add(reading: _Reading, where: SourceRef, entry: str, message: str) -> None:
    reading.issues.append(Issue(where.path, where.line, entry, message))


class _Sourced(Protocol):
    source: SourceRef


_Item = TypeVar("_Item", bound=_Sourced)


def _keep_unique(entry: Entry, key: str, found: dict[str, _Item], item_id: str,
                 item: _Item) -> None:
    """Keep the first of several entries sharing an id; report the later ones."""
    first = found.get(item_id)
    if first is None:
        found[item_id] = item
    else:
        entry.problem(key, f"duplicate {key} {item_id!r} (first defined at {first.source})")


# --- company profile ------------------------------------------------------------------------


def _read_company(path: Path, kb: KnowledgeBase, issues: list[Issue]) -> CompanyProfile | None:
    reading = _Reading(issues)
    doc = reading.document(path)
    if doc is None:
        return None
    doc.reject_unknown({"name", "facts", "control_status", "evidence", "answer_library"})
    known = kb.controls

    def check_controls(entry: Entry, key: str, control_ids: Iterable[str]) -> None:
        for control_id in control_ids:
            if control_id not in known:
                entry.problem(key, f"unknown control {control_id!r}")

    facts: dict[str, Fact] = {}
    for entry in doc.entries("facts", "key"):
        fact = _read_fact(entry)
        _keep_unique(entry, "key", facts, fact.key, fact)
    states: dict[str, ControlState] = {}
    for entry in doc.entries("control_status", "control"):
        state = _read_state(entry)
        check_controls(entry, "control", [state.control_id])
        _keep_unique(entry, "control", states, state.control_id, state)
    evidence: dict[str, Evidence] = {}
    for entry in doc.entries("evidence", "id"):
        item = _read_evidence(entry)
        check_controls(entry, "controls", item.controls)
        _keep_unique(entry, "id", evidence, item.id, item)
    library: list[ApprovedAnswer] = []
    for index, listed in enumerate(doc.entries("answer_library", "question"), start=1):
        entry = replace(listed, entry=f"answer #{index}")  # questions are too long to name it
        entry.reject_unknown({"question", "answer", "controls"})
        answer = ApprovedAnswer(entry.text("question"), entry.text("answer"),
                                entry.texts("controls"), SourceRef(path, entry.data.line))
        check_controls(entry, "controls", answer.controls)
        library.append(answer)
    return CompanyProfile(path.stem, doc.text("name"), facts, states, evidence, tuple(library),
                          SourceRef(path, doc.data.line))


def _read_fact(entry: Entry) -> Fact:
    entry.reject_unknown({"key", "value", "questions"})
    raw = entry.data.get("value")
    value: FactValue = ""
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        value = tuple(raw)
    elif isinstance(raw, str | int | float | bool):
        value = raw
    else:
        entry.problem("value" if "value" in entry.data else None,
                      "'value' must be text, a number, yes/no or a list of text")
    return Fact(entry.text("key"), value, entry.texts("questions", min_items=1),
                SourceRef(entry.path, entry.data.line))


def _read_state(entry: Entry) -> ControlState:
    entry.reject_unknown({"control", "status", "note", "owner", "target_date"})
    status = Status(entry.choice("status", STATUSES))
    state = ControlState(
        control_id=entry.text("control"), status=status,
        note=entry.text("note", required=status in STATUSES_NEEDING_NOTE),
        owner=entry.text("owner"), target_date=entry.day("target_date",
                                                          required=status == Status.PLANNED),
        source=SourceRef(entry.path, entry.data.line))
    return state


def _read_evidence(entry: Entry) -> Evidence:
    entry.reject_unknown({"id", "title", "type", "location", "owner", "collected", "expires",
                          "controls"})
    collected = entry.day("collected", required=True)
    expires = entry.day("expires")
    if collected and expires and expires < collected:
        entry.problem("expires", f"expires ({expires}) is before collected ({collected})")
    return Evidence(
        id=entry.text("id"), title=entry.text("title"),
        type=entry.choice("type", EVIDENCE_TYPES), location=entry.text("location"),
        owner=entry.text("owner"), collected=collected or date.min, expires=expires,
        controls=entry.texts("controls", min_items=1),
        source=SourceRef(entry.path, entry.data.line))
