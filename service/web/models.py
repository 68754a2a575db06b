"""The web application's tables (SQLModel). The KB and company tables belong to
`service.controls.db`; these names must not clash with its `kb_*` and `company_*`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import JSON, Column, Field, SQLModel

ROLES = ("viewer", "editor", "admin")  # each role can do everything the ones before it can
JOB_STATUSES = ("pending", "running", "done", "failed")
# Review states of an answer: the engine drafts `auto` or `needs_review`; people edit/approve.
ANSWER_STATUSES = ("needs_review", "auto", "edited", "approved")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json(nullable: bool = False) -> Any:
    return Field(sa_column=Column(JSON, nullable=nullable))


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    name: str
    role: str
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"
    token_hash: str = Field(primary_key=True)  # sha256 of the cookie: a leaked table logs no one in
    user_id: int = Field(foreign_key="app_user.id", index=True)
    csrf_token: str
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class LoginFailure(SQLModel, table=True):
    """A failed sign-in, kept for the throttling window (see `auth.sign_in`)."""

    __tablename__ = "login_failure"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True)
    address: str = Field(index=True)  # the client's IP address
    at: datetime = Field(default_factory=utcnow, index=True)


class QuestionnaireRecord(SQLModel, table=True):
    __tablename__ = "questionnaire"
    id: int | None = Field(default=None, primary_key=True)
    prospect: str
    deal_value: int | None = None  # whole currency units
    due_date: date | None = None
    frameworks: list[str] = _json()
    filename: str
    file_path: str  # relative to the data directory: uploads/<sha256><suffix>, never modified
    file_sha256: str = Field(index=True)
    format: str
    mapping: list[dict[str, Any]] = _json()  # the column preview per sheet/table
    # sheet/table layout identity (service.web.corrections): a correction made for one file
    # of a template is re-applied to the next file of that template
    template_fingerprint: str | None = Field(default=None, index=True)
    # part -> {"question", "answer", "comment"} columns a person set; None: as ingest found them
    column_overrides: dict[str, Any] | None = _json(nullable=True)
    notices: list[str] = _json()
    uploaded_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


class QuestionRecord(SQLModel, table=True):
    """A question as ingest found it. `question` is the whole `service.ingest.Question`
    (`Question.to_dict`: every slot, options, flags), what answering and exports work from;
    the columns beside it repeat what pages filter and list by. Written by
    `service.web.answers.question_record`/`set_question` only, so they never disagree."""

    __tablename__ = "question"
    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    position: int
    ref: str
    text: str
    section: str
    answer_type: str
    options: list[str] = _json()
    question: dict[str, Any] = _json()


class AnswerRecord(SQLModel, table=True):
    """The engine's `AnsweredQuestion` for one question, as people left it: the `Answer`'s
    fields (value, comment, note, confidence, status, basis) as columns, with the match,
    citations, gap and verdict (`service.answering.answered_to_dict`), plus the review
    bookkeeping. With its `QuestionRecord` it reads back as the same typed value
    (`service.web.answers.answered`)."""

    __tablename__ = "answer"
    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", unique=True)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    value: str
    comment: str  # for the customer: written into their file
    note: str = ""  # for reviewers only: shown on the review page, never exported
    confidence: float
    status: str  # an AnswerStatus: auto, needs_review, edited, approved
    basis: str
    gap_control: str | None = None
    verdict: str | None = None  # what the value claims (yes, no, partial, na), if known
    match: dict[str, Any] = _json()  # the QuestionMatch: controls with scores, understanding
    citations: list[dict[str, str]] = _json()
    version: int = 1  # bumped on every change; a write naming an older version is refused
    # a person edited or approved it: a knowledge change flags it rather than recomputing it
    person_written: bool = False
    assigned_to: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    updated_by: int | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class ReviewComment(SQLModel, table=True):
    __tablename__ = "review_comment"
    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True)
    user_id: int = Field(foreign_key="app_user.id")
    text: str
    created_at: datetime = Field(default_factory=utcnow)


class Job(SQLModel, table=True):
    __tablename__ = "job"
    id: int | None = Field(default=None, primary_key=True)
    kind: str  # "answer" (an upload or a column correction) or "refresh" (after a KB edit)
    questionnaire_id: int = Field(foreign_key="questionnaire.id", index=True)
    status: str = Field(default="pending", index=True)
    done: int = 0
    total: int = 0
    error: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # the worker process running it, and when that worker last showed it was alive
    claimed_by: str = ""
    heartbeat_at: datetime | None = None


class TemplateMapping(SQLModel, table=True):
    """The latest column correction for a questionnaire template, by its fingerprint."""

    __tablename__ = "template_mapping"
    fingerprint: str = Field(primary_key=True)
    column_overrides: dict[str, Any] = _json()
    updated_by: int = Field(foreign_key="app_user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class LibraryAnswer(SQLModel, table=True):
    """An approved answer saved for reuse: added to the company's answer library, which the
    matcher indexes, with the controls that must still back a reused "Yes"."""

    __tablename__ = "library_answer"
    id: int | None = Field(default=None, primary_key=True)
    company_key: str = Field(index=True)
    question: str
    answer: str
    controls: list[str] = _json()
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


class ControlOverride(SQLModel, table=True):
    """An admin's change to a control's declared status, applied over the YAML profile."""

    __tablename__ = "control_override"
    company_key: str = Field(primary_key=True)
    control_id: str = Field(primary_key=True)
    status: str
    note: str = ""
    target_date: date | None = None
    updated_by: int = Field(foreign_key="app_user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class EvidenceOverride(SQLModel, table=True):
    """An admin's change to an evidence item's dates, applied over the YAML profile."""

    __tablename__ = "evidence_override"
    company_key: str = Field(primary_key=True)
    evidence_id: str = Field(primary_key=True)
    collected: date
    expires: date | None = None
    updated_by: int = Field(foreign_key="app_user.id")
    updated_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor: str  # the user's email at the time, or "system"
    action: str  # e.g. answer.edit, answer.approve, questionnaire.upload
    target: str  # e.g. answer:12
    before: dict[str, Any] | None = _json(nullable=True)
    after: dict[str, Any] | None = _json(nullable=True)


WEB_TABLES = (
    User, LoginSession, LoginFailure, QuestionnaireRecord, QuestionRecord, AnswerRecord,
    ReviewComment, Job, AuditEvent, TemplateMapping, LibraryAnswer, ControlOverride,
    EvidenceOverride,
)
WEB_TABLE_NAMES = frozenset(table.__tablename__ for table in WEB_TABLES)
