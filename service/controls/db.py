"""Persisting the knowledge base and company profiles with SQLModel (SQLite or PostgreSQL).

The tables mirror the dataclasses in `model`; nested lists and small records live in JSON
columns because they are only ever read whole. Saving replaces what was stored before, so a
save after editing the YAML leaves no stale rows behind.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import JSON, Column, Field, Session, SQLModel, create_engine, delete, select

from .model import (
    AnswerTemplates,
    ApprovedAnswer,
    CompanyProfile,
    Control,
    ControlState,
    Domain,
    Evidence,
    Fact,
    Framework,
    KnowledgeBase,
    Mapping,
    Remediation,
    Requirement,
    Status,
)


def _json() -> Any:
    return Field(sa_column=Column(JSON, nullable=False))


class FrameworkRow(SQLModel, table=True):
    __tablename__ = "kb_framework"
    key: str = Field(primary_key=True)
    position: int
    title: str
    version: str


class RequirementRow(SQLModel, table=True):
    __tablename__ = "kb_requirement"
    framework: str = Field(primary_key=True)
    id: str = Field(primary_key=True)
    position: int
    title: str
    group: str
    kind: str
    required: str
    parent: str
    scope: str
    scope_reason: str


class DomainRow(SQLModel, table=True):
    __tablename__ = "kb_domain"
    id: str = Field(primary_key=True)
    position: int
    title: str


class ControlRow(SQLModel, table=True):
    __tablename__ = "kb_control"
    id: str = Field(primary_key=True)
    position: int
    domain: str = Field(index=True)
    title: str
    statement: str
    questions: list[str] = _json()
    answers: dict[str, str | None] = _json()
    remediation: dict[str, Any] = _json()
    evidence_types: list[str] = _json()
    mapping_reason: str


class MappingRow(SQLModel, table=True):
    __tablename__ = "kb_mapping"
    control_id: str = Field(primary_key=True)
    framework: str = Field(primary_key=True)
    ref: str = Field(primary_key=True, index=True)
    position: int
    strength: str


class AnswerDefaultRow(SQLModel, table=True):
    __tablename__ = "kb_answer_default"
    status: str = Field(primary_key=True)
    template: str | None


class CompanyRow(SQLModel, table=True):
    __tablename__ = "company"
    key: str = Field(primary_key=True)
    name: str


class FactRow(SQLModel, table=True):
    __tablename__ = "company_fact"
    company: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    position: int
    value: Any = _json()
    questions: list[str] = _json()


class ControlStateRow(SQLModel, table=True):
    __tablename__ = "company_control_state"
    company: str = Field(primary_key=True)
    control_id: str = Field(primary_key=True)
    status: str
    note: str
    owner: str
    target_date: date | None


class EvidenceRow(SQLModel, table=True):
    __tablename__ = "company_evidence"
    company: str = Field(primary_key=True)
    id: str = Field(primary_key=True)
    title: str
    evidence_type: str
    location: str
    owner: str
    collected: date
    expires: date | None
    controls: list[str] = _json()


class ApprovedAnswerRow(SQLModel, table=True):
    __tablename__ = "company_approved_answer"
    company: str = Field(primary_key=True)
    position: int = Field(primary_key=True)
    question: str
    answer: str
    controls: list[str] = _json()


KB_TABLES = (FrameworkRow, RequirementRow, DomainRow, ControlRow, MappingRow, AnswerDefaultRow)
COMPANY_DETAIL_TABLES = (FactRow, ControlStateRow, EvidenceRow, ApprovedAnswerRow)


def engine_for(database_url: str) -> Engine:
    """An engine with this module's tables created (only these: other modules own theirs).

    The pool can hand a connection to each of the web server's 40 request threads, so a burst
    of requests waits for the CPU, never for a connection; pre-ping survives a database
    restart."""
    engine = create_engine(database_url, pool_size=10, max_overflow=30, pool_pre_ping=True)
    tables = (*KB_TABLES, CompanyRow, *COMPANY_DETAIL_TABLES)
    SQLModel.metadata.create_all(engine, tables=[table.__table__ for table in tables])
    return engine


def save_knowledge_base(engine: Engine, kb: KnowledgeBase) -> None:
    with Session(engine) as session:
        for table in KB_TABLES:
            session.exec(delete(table))
        for position, framework in enumerate(kb.frameworks.values()):
            session.add(FrameworkRow(key=framework.key, position=position,
                                     title=framework.title, version=framework.version))
            for index, r in enumerate(framework.requirements.values()):
                session.add(RequirementRow(
                    framework=framework.key, id=r.id, position=index, title=r.title,
                    group=r.group, kind=r.kind, required=r.required, parent=r.parent,
                    scope=r.scope, scope_reason=r.scope_reason))
        for position, domain in enumerate(kb.domains.values()):
            session.add(DomainRow(id=domain.id, position=position, title=domain.title))
        for position, control in enumerate(kb.controls.values()):
            session.add(_control_row(control, position))
            for index, m in enumerate(control.mappings):
                session.add(MappingRow(control_id=control.id, framework=m.framework, ref=m.ref,
                                       position=index, strength=m.strength))
        for status, template in vars(kb.answer_defaults).items():
            session.add(AnswerDefaultRow(status=status, template=template))
        session.commit()


def _control_row(control: Control, position: int) -> ControlRow:
    plan = control.remediation
    return ControlRow(
        id=control.id, position=position, domain=control.domain, title=control.title,
        statement=control.statement, questions=list(control.questions),
        answers=vars(control.answers), evidence_types=list(control.evidence_types),
        mapping_reason=control.mapping_reason,
        remediation={"steps": list(plan.steps), "effort_days": plan.effort_days,
                     "owner_role": plan.owner_role, "severity": plan.severity,
                     "depends_on": list(plan.depends_on)})


def read_knowledge_base(engine: Engine) -> KnowledgeBase:
    with Session(engine) as session:
        requirements: dict[str, dict[str, Requirement]] = {}
        for r in session.exec(select(RequirementRow).order_by(RequirementRow.position)):
            requirements.setdefault(r.framework, {})[r.id] = Requirement(
                framework=r.framework, id=r.id, title=r.title, group=r.group, kind=r.kind,
                required=r.required, parent=r.parent, scope=r.scope,
                scope_reason=r.scope_reason)
        frameworks = {
            f.key: Framework(f.key, f.title, f.version, requirements.get(f.key, {}))
            for f in session.exec(select(FrameworkRow).order_by(FrameworkRow.position))}
        domains = {d.id: Domain(d.id, d.title)
                   for d in session.exec(select(DomainRow).order_by(DomainRow.position))}
        mappings: dict[str, list[Mapping]] = {}
        for m in session.exec(select(MappingRow).order_by(MappingRow.position)):
            mappings.setdefault(m.control_id, []).append(
                Mapping(m.framework, m.ref, m.strength))
        controls = {
            c.id: _control(c, tuple(mappings.get(c.id, ())))
            for c in session.exec(select(ControlRow).order_by(ControlRow.position))}
        defaults = {d.status: d.template for d in session.exec(select(AnswerDefaultRow))}
        return KnowledgeBase(frameworks, domains, controls, AnswerTemplates(**defaults))


def _control(row: ControlRow, mappings: tuple[Mapping, ...]) -> Control:
    plan = row.remediation
    return Control(
        id=row.id, domain=row.domain, title=row.title, statement=row.statement,
        questions=tuple(row.questions), mappings=mappings,
        answers=AnswerTemplates(**row.answers),
        remediation=Remediation(steps=tuple(plan["steps"]), effort_days=plan["effort_days"],
                                owner_role=plan["owner_role"], severity=plan["severity"],
                                depends_on=tuple(plan["depends_on"])),
        evidence_types=tuple(row.evidence_types), mapping_reason=row.mapping_reason)


def save_company(engine: Engine, company: CompanyProfile) -> None:
    with Session(engine) as session:
        for table in COMPANY_DETAIL_TABLES:
            session.exec(delete(table).where(table.company == company.key))
        session.exec(delete(CompanyRow).where(CompanyRow.key == company.key))
        session.add(CompanyRow(key=company.key, name=company.name))
        for position, fact in enumerate(company.facts.values()):
            value = list(fact.value) if isinstance(fact.value, tuple) else fact.value
            session.add(FactRow(company=company.key, key=fact.key, position=position,
                                value=value, questions=list(fact.questions)))
        for state in company.control_states.values():
            session.add(ControlStateRow(
                company=company.key, control_id=state.control_id, status=state.status.value,
                note=state.note, owner=state.owner, target_date=state.target_date))
        for e in company.evidence.values():
            session.add(EvidenceRow(
                company=company.key, id=e.id, title=e.title, evidence_type=e.type,
                location=e.location, owner=e.owner, collected=e.collected, expires=e.expires,
                controls=list(e.controls)))
        for position, answer in enumerate(company.answer_library):
            session.add(ApprovedAnswerRow(company=company.key, position=position,
                                          question=answer.question, answer=answer.answer,
                                          controls=list(answer.controls)))
        session.commit()


def read_company(engine: Engine, key: str) -> CompanyProfile | None:
    with Session(engine) as session:
        row = session.get(CompanyRow, key)
        if row is None:
            return None
        facts = {
            f.key: Fact(f.key, tuple(f.value) if isinstance(f.value, list) else f.value,
                        tuple(f.questions))
            for f in session.exec(select(FactRow).where(FactRow.company == key)
                                  .order_by(FactRow.position))}
        states = {
            s.control_id: ControlState(s.control_id, Status(s.status), s.note, s.owner,
                                       s.target_date)
            for s in session.exec(select(ControlStateRow).where(ControlStateRow.company == key))}
        evidence = {
            e.id: Evidence(e.id, e.title, e.evidence_type, e.location, e.owner, e.collected,
                           e.expires, tuple(e.controls))
            for e in session.exec(select(EvidenceRow).where(EvidenceRow.company == key))}
        library = tuple(
            ApprovedAnswer(a.question, a.answer, tuple(a.controls))
            for a in session.exec(select(ApprovedAnswerRow).where(ApprovedAnswerRow.company == key)
                                  .order_by(ApprovedAnswerRow.position)))
        return CompanyProfile(row.key, row.name, facts, states, evidence, library)
