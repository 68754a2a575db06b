"""The company's knowledge as the web application uses it: seeded into the database on first
run, read back from it, and shown per domain with effective status and evidence."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from service.answering.engine import FRAMEWORKS
from service.controls import (
    SAMPLE_PROFILE,
    ApprovedAnswer,
    CompanyProfile,
    Control,
    ControlAssessment,
    ControlState,
    Evidence,
    KnowledgeBase,
    Status,
    effective_status,
    load_company,
    load_knowledge_base,
)
from service.controls.db import read_company, read_knowledge_base, save_company, save_knowledge_base
from service.controls.status import EXPIRY_WARNING_WINDOW
from service.matching.embedder import Embedder
from service.matching.matcher import Matcher

from .models import ControlOverride, EvidenceOverride, LibraryAnswer

SAMPLE_COMPANY_KEY = SAMPLE_PROFILE.stem


def seed_sample_company(engine: Engine, knowledge_dir: Path) -> bool:
    """Store the bundled KB and sample company unless the database has them; True if it did."""
    if read_company(engine, SAMPLE_COMPANY_KEY) is not None:
        return False
    kb = load_knowledge_base(knowledge_dir)
    save_knowledge_base(engine, kb)
    save_company(engine, load_company(knowledge_dir / SAMPLE_PROFILE, kb))
    return True


class Knowledge:
    """The KB and company read from the database, and the one Matcher built over them.

    The embedding model takes seconds to load, so the Matcher is built on first use (the first
    answering job), once per process, and shared by later jobs. The company's answer library is
    the profile's own plus the answers people saved (`LibraryAnswer`), and admins' edits of
    control status and evidence dates (`ControlOverride`, `EvidenceOverride`) apply over the
    stored profile. Every read of `company` or `matcher()` first compares a one-query revision
    of those tables with the one it was built from, so an edit made through any app process
    (several can share one database) is seen by all of them before their next answer: no
    process answers from a control status an admin has already withdrawn.
    """

    def __init__(self, engine: Engine, company_key: str, cache_dir: Path) -> None:
        self.kb: KnowledgeBase = read_knowledge_base(engine)
        company = read_company(engine, company_key)
        if company is None:
            raise LookupError(f"company {company_key!r} is not in the database")
        self._engine = engine
        self._profile = company
        self._cache_dir = cache_dir
        self._matcher: Matcher | None = None
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()
        self._revision = self._read_revision()
        self._company = self._build_company()

    @property
    def company(self) -> CompanyProfile:
        """The profile with the saved answers and admins' edits, as the database has them now."""
        with self._lock:
            self._sync()
            return self._company

    def matcher(self) -> Matcher:
        """Answer with `matcher().company`: the profile this Matcher indexed."""
        with self._lock:
            self._sync()
            if self._matcher is None:
                self._matcher = Matcher(self.kb, self._company, embedder=self._embedder,
                                        cache_dir=self._cache_dir)
                self._embedder = self._matcher.embedder
            return self._matcher

    @property
    def profile(self) -> CompanyProfile:
        """The company as stored from its YAML profile, without admins' edits."""
        return self._profile

    def _sync(self) -> None:
        """Rebuild the company (and drop the Matcher) if the edits changed since; the lock is
        held. A change landing between the two reads only causes one more rebuild later."""
        revision = self._read_revision()
        if revision != self._revision:
            self._revision = revision
            self._company = self._build_company()
            self._matcher = None

    def _read_revision(self) -> tuple[Any, ...]:
        key = self._profile.key
        changes = ((LibraryAnswer.company_key, LibraryAnswer.id),
                   (ControlOverride.company_key, ControlOverride.updated_at),
                   (EvidenceOverride.company_key, EvidenceOverride.updated_at))
        with Session(self._engine) as session:
            return tuple(session.exec(select(*(
                select(aggregate(changed)).where(company == key).scalar_subquery()
                for company, changed in changes
                for aggregate in (func.count, func.max)))).one())

    def _build_company(self) -> CompanyProfile:
        key = self._profile.key
        with Session(self._engine) as session:
            saved = session.exec(
                select(LibraryAnswer).where(LibraryAnswer.company_key == key)
                .order_by(col(LibraryAnswer.id))
            ).all()
            control_edits = session.exec(
                select(ControlOverride).where(ControlOverride.company_key == key)).all()
            evidence_edits = session.exec(
                select(EvidenceOverride).where(EvidenceOverride.company_key == key)).all()
        states = dict(self._profile.control_states)
        for edit in control_edits:
            status = Status(edit.status)
            old = states.get(edit.control_id)
            states[edit.control_id] = (
                replace(old, status=status, note=edit.note, target_date=edit.target_date)
                if old else ControlState(edit.control_id, status, edit.note,
                                         target_date=edit.target_date))
        evidence = dict(self._profile.evidence)
        for dates in evidence_edits:
            if dates.evidence_id in evidence:
                evidence[dates.evidence_id] = replace(
                    evidence[dates.evidence_id], collected=dates.collected, expires=dates.expires)
        # appended after the profile's own entries: the library index a match names stays put
        return replace(
            self._profile, control_states=states, evidence=evidence,
            answer_library=self._profile.answer_library + tuple(
                ApprovedAnswer(entry.question, entry.answer, tuple(entry.controls))
                for entry in saved))


@dataclass(frozen=True)
class ControlView:
    control: Control
    assessment: ControlAssessment
    refs: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class EvidenceView:
    evidence: Evidence
    state: str  # "expired" | "expiring" | "current"


def controls_by_domain(knowledge: Knowledge, on: date) -> list[tuple[str, list[ControlView]]]:
    grouped: dict[str, list[ControlView]] = {}
    for control in knowledge.kb.controls.values():
        grouped.setdefault(control.domain, []).append(ControlView(
            control, effective_status(knowledge.company, control.id, on),
            {f: control.refs(f) for f in FRAMEWORKS}))
    domains = knowledge.kb.domains
    return [(domains[d].title if d in domains else d, views) for d, views in grouped.items()]


def evidence_states(company: CompanyProfile, on: date) -> list[EvidenceView]:
    """Expired first, then expiring within the warning window, then the rest; by expiry."""
    views = [EvidenceView(e, _expiry_state(e, on)) for e in company.evidence.values()]
    order = {"expired": 0, "expiring": 1, "current": 2}
    return sorted(views, key=lambda v: (order[v.state], v.evidence.expires or date.max))


def _expiry_state(evidence: Evidence, on: date) -> str:
    if evidence.expires is None:
        return "current"
    if evidence.expires < on:
        return "expired"
    return "expiring" if evidence.expires <= on + EXPIRY_WARNING_WINDOW else "current"


def fact_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return ", ".join(value) if isinstance(value, tuple) else str(value)


def knowledge_dict(knowledge: Knowledge, on: date) -> dict[str, Any]:
    return {
        "company": {"key": knowledge.company.key, "name": knowledge.company.name},
        "as_of": on.isoformat(),
        "domains": [
            {"title": title, "controls": [
                {"id": v.control.id, "title": v.control.title,
                 "declared": v.assessment.declared.value,
                 "effective": v.assessment.effective.value, "reason": v.assessment.reason,
                 "evidence": [e.id for e in v.assessment.valid_evidence],
                 "frameworks": {f: list(refs) for f, refs in v.refs.items()}}
                for v in views]}
            for title, views in controls_by_domain(knowledge, on)
        ],
        "evidence": [
            {"id": v.evidence.id, "title": v.evidence.title, "type": v.evidence.type,
             "owner": v.evidence.owner, "collected": v.evidence.collected.isoformat(),
             "expires": v.evidence.expires.isoformat() if v.evidence.expires else None,
             "state": v.state, "controls": list(v.evidence.controls)}
            for v in evidence_states(knowledge.company, on)
        ],
        "facts": {f.key: fact_value(f.value) for f in knowledge.company.facts.values()},
        "answer_library": [
            {"question": a.question, "answer": a.answer, "controls": list(a.controls)}
            for a in knowledge.company.answer_library
        ],
    }
