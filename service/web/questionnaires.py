"""Questionnaires in the web application: upload with deal context, progress and review rows."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, func, select

from service.answering import control_matches
from service.answering.engine import FRAMEWORKS, Thresholds
from service.answering.stored import from_json
from service.controls import KnowledgeBase
from service.ingest import DEFAULT_LIMITS, Questionnaire, isolated
from service.matching import ControlMatch

from . import audit
from .answers import question_record
from .auth import Principal
from .mapping import (
    apply_overrides,
    column_mapping,
    read_upload,
    template_fingerprint,
)
from .models import (
    ANSWER_STATUSES,
    ROLES,
    AnswerRecord,
    Job,
    QuestionnaireRecord,
    QuestionRecord,
    ReviewComment,
    TemplateMapping,
    User,
)

UPLOADS = "uploads"
# Request bodies are refused (413) past these sizes before they are read whole: an upload may
# carry the largest file ingest accepts plus the form around it; other requests are small.
UPLOAD_BODY_LIMIT = DEFAULT_LIMITS.max_bytes + 256 * 1024
REQUEST_BODY_LIMIT = 1024 * 1024
_UNSAFE_NAME_CHARACTERS = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")
CONFIDENCE_BANDS = ("high", "medium", "low")
MATCHED = tuple[ControlMatch, ...]  # QuestionMatch.controls: all a review row shows of a match
_THRESHOLDS = Thresholds()
isolated.preload("service.web.mapping")


class InvalidInput(ValueError):
    """A one-line reason the request cannot be carried out, fit to show the user."""


@dataclass(frozen=True)
class Deal:
    prospect: str
    deal_value: int | None
    due_date: date | None
    frameworks: tuple[str, ...]


def deal_from_form(
    prospect: str, deal_value: str, due_date: str, frameworks: list[str]
) -> Deal:
    if not prospect.strip():
        raise InvalidInput("the prospect's name is required")
    value = None
    if deal_value.strip():
        digits = deal_value.strip().replace(",", "").replace("_", "")
        if not digits.isdigit():
            raise InvalidInput(f"deal value {deal_value!r} is not a whole, positive amount")
        value = int(digits)
    due = None
    if due_date.strip():
        try:
            due = date.fromisoformat(due_date.strip())
        except ValueError:
            raise InvalidInput(f"due date {due_date!r} is not a date (YYYY-MM-DD)") from None
    unknown = sorted(set(frameworks) - set(FRAMEWORKS))
    if unknown:
        raise InvalidInput(
            f"unknown framework(s) {', '.join(unknown)}: use {', '.join(FRAMEWORKS)}")
    chosen = tuple(f for f in FRAMEWORKS if f in frameworks)
    return Deal(prospect.strip(), value, due, chosen)


def safe_filename(name: str) -> str:
    """The name a browser or script sent, cut to its last path component (either slash) and
    stripped of control and reserved characters: it is only ever shown and used to name
    downloads, never to find a file on disk (originals are stored by content hash)."""
    base = re.split(r"[/\\]", name)[-1]
    base = _UNSAFE_NAME_CHARACTERS.sub("", base).strip().lstrip(".")
    return base[-200:] or "upload"


def store_upload(data_dir: Path, data: bytes, filename: str) -> tuple[str, str]:
    """Keep the original file under its content hash; returns (relative path, sha256).

    The same bytes uploaded twice share one file, and a stored file is never rewritten.
    """
    digest = hashlib.sha256(data).hexdigest()
    suffix = Path(filename).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,9}", suffix) else ""
    relative = f"{UPLOADS}/{digest}{suffix}"
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a crash never leaves half a file under the hash
    return relative, digest


def create_questionnaire(
    session: Session, data_dir: Path, actor: Principal, data: bytes, filename: str, deal: Deal
) -> QuestionnaireRecord:
    """Ingest the file (raises IngestError), store it and its questions, queue the answering.

    A column correction saved for the file's template is applied before anything is stored.
    """
    filename = safe_filename(filename)
    # a stranger's file: read in a child process with memory and CPU limits
    questionnaire, cells = isolated.run_isolated(read_upload, data, filename)
    relative, digest = store_upload(data_dir, data, filename)
    fingerprint = template_fingerprint(questionnaire, cells)
    overrides = _template_overrides(session, fingerprint, questionnaire)
    if overrides:
        questionnaire = apply_overrides(questionnaire, cells, overrides)
        questionnaire.notices.append(
            "the column mapping corrected for an earlier file of this template was applied")
    record = QuestionnaireRecord(
        prospect=deal.prospect, deal_value=deal.deal_value, due_date=deal.due_date,
        frameworks=list(deal.frameworks), filename=filename, file_path=relative,
        file_sha256=digest, format=questionnaire.format,
        mapping=[part.to_dict() for part in column_mapping(questionnaire)],
        notices=list(questionnaire.notices), uploaded_by=actor.user_id,
        template_fingerprint=fingerprint, column_overrides=overrides,
    )
    session.add(record)
    session.flush()
    assert record.id is not None
    for position, question in enumerate(questionnaire.questions):
        session.add(question_record(record.id, position, question))
    session.add(Job(kind="answer", questionnaire_id=record.id,
                    total=len(questionnaire.questions)))
    audit.record(session, actor, "questionnaire.upload", f"questionnaire:{record.id}", None,
                 {"prospect": deal.prospect, "filename": filename, "sha256": digest,
                  "questions": len(questionnaire.questions)})
    session.commit()
    session.refresh(record)
    return record


def _template_overrides(
    session: Session, fingerprint: str | None, questionnaire: Questionnaire
) -> dict[str, Any] | None:
    """The saved correction of the template's parts this file has, or None."""
    saved = session.get(TemplateMapping, fingerprint) if fingerprint else None
    if saved is None:
        return None
    parts = {item.part for item in column_mapping(questionnaire)}
    kept = {part: choice for part, choice in saved.column_overrides.items() if part in parts}
    return kept or None


def load_questionnaire(data_dir: Path, record: QuestionnaireRecord) -> Questionnaire:
    """The stored original read as at upload (in the sandbox, as then), with the record's column
    corrections applied: what answering and exports work from."""
    data = (data_dir / record.file_path).read_bytes()
    questionnaire, cells = isolated.run_isolated(read_upload, data, record.filename)
    if not record.column_overrides:
        return questionnaire
    return apply_overrides(questionnaire, cells, record.column_overrides)


def confidence_band(confidence: float) -> str:
    """High is what the engine answers automatically from a control; medium can count as a gap."""
    if confidence >= _THRESHOLDS.control:
        return "high"
    return "medium" if confidence >= _THRESHOLDS.gap else "low"


@dataclass(frozen=True)
class Progress:
    questions: int
    answered: int
    approved: int
    by_status: dict[str, int]
    job: Job | None

    @property
    def percent_approved(self) -> int:
        return 100 * self.approved // self.questions if self.questions else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": self.questions, "answered": self.answered, "approved": self.approved,
            "by_status": self.by_status, "job": job_dict(self.job) if self.job else None,
        }


def progress(session: Session, questionnaire_id: int) -> Progress:
    return progress_of(session, [questionnaire_id])[questionnaire_id]


def progress_of(session: Session, questionnaire_ids: list[int]) -> dict[int, Progress]:
    """Each questionnaire's progress, in three grouped queries however many there are."""
    questions: Counter[int] = Counter(dict(session.exec(
        select(QuestionRecord.questionnaire_id, func.count())
        .where(col(QuestionRecord.questionnaire_id).in_(questionnaire_ids))
        .group_by(col(QuestionRecord.questionnaire_id))).all()))
    statuses: dict[int, Counter[str]] = {q: Counter() for q in questionnaire_ids}
    for questionnaire_id, status, count in session.exec(
        select(AnswerRecord.questionnaire_id, AnswerRecord.status, func.count())
        .where(col(AnswerRecord.questionnaire_id).in_(questionnaire_ids))
        .group_by(col(AnswerRecord.questionnaire_id), col(AnswerRecord.status))):
        statuses[questionnaire_id][status] = count
    latest = select(func.max(Job.id)).where(col(Job.questionnaire_id).in_(questionnaire_ids)) \
        .group_by(col(Job.questionnaire_id))
    jobs = {job.questionnaire_id: job
            for job in session.exec(select(Job).where(col(Job.id).in_(latest)))}
    return {
        q: Progress(questions[q], statuses[q].total(), statuses[q].get("approved", 0),
                    {status: statuses[q].get(status, 0) for status in ANSWER_STATUSES},
                    jobs.get(q))
        for q in questionnaire_ids
    }


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id, "kind": job.kind, "questionnaire_id": job.questionnaire_id,
        "status": job.status, "done": job.done, "total": job.total, "error": job.error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def questionnaire_dict(record: QuestionnaireRecord, state: Progress) -> dict[str, Any]:
    return {
        "id": record.id, "prospect": record.prospect, "deal_value": record.deal_value,
        "due_date": record.due_date.isoformat() if record.due_date else None,
        "frameworks": record.frameworks, "filename": record.filename, "format": record.format,
        "sha256": record.file_sha256, "mapping": record.mapping, "notices": record.notices,
        "column_overrides": record.column_overrides,
        "created_at": record.created_at.isoformat(), "progress": state.to_dict(),
    }


def list_questionnaires(session: Session) -> list[tuple[QuestionnaireRecord, Progress]]:
    """Soonest due first; those without a due date after them, newest first."""
    records = session.exec(select(QuestionnaireRecord)).all()
    records = sorted(records, key=lambda r: (r.due_date is None, r.due_date or date.min,
                                             -(r.id or 0)))
    states = progress_of(session, [record.id or 0 for record in records])
    return [(record, states[record.id or 0]) for record in records]


@dataclass(frozen=True)
class ReviewFilters:
    status: str = ""
    band: str = ""
    gap: str = ""  # "yes" | "no" | ""
    section: str = ""
    assigned_to: int | None = None  # only the answers assigned to this user

    def validate(self) -> ReviewFilters:
        if self.status and self.status not in ANSWER_STATUSES:
            raise InvalidInput(f"unknown status {self.status!r}: use {', '.join(ANSWER_STATUSES)}")
        if self.band and self.band not in CONFIDENCE_BANDS:
            raise InvalidInput(f"unknown confidence band {self.band!r}: use high, medium, low")
        if self.gap not in ("", "yes", "no"):
            raise InvalidInput("gap is 'yes' or 'no'")
        return self


def assignee_filter(assigned: str, me: Principal) -> int | None:
    """The `assigned` query parameter: "me" keeps the answers assigned to the signed-in user."""
    if assigned not in ("", "me"):
        raise InvalidInput("assigned is 'me' or empty")
    return me.user_id if assigned == "me" else None


@dataclass
class ReviewRow:
    question: QuestionRecord
    answer: AnswerRecord | None
    comments: list[tuple[ReviewComment, str]] = field(default_factory=list)  # with author
    assignee: str | None = None  # the assigned user's email
    matches: list[dict[str, Any]] = field(default_factory=list)  # control_matches, to read

    @property
    def band(self) -> str:
        return confidence_band(self.answer.confidence) if self.answer else ""

    def to_dict(self) -> dict[str, Any]:
        question, answer = self.question, self.answer
        return {
            "question": {"id": question.id, "ref": question.ref, "text": question.text,
                         "section": question.section, "answer_type": question.answer_type,
                         "options": question.options},
            "answer": None if answer is None else {
                **answer_dict(answer), "band": self.band, "matches": self.matches,
                "citations": answer.citations, "assignee": self.assignee,
            },
            "comments": [{"author": author, "text": c.text, "at": c.created_at.isoformat()}
                         for c, author in self.comments],
        }


def answer_dict(answer: AnswerRecord) -> dict[str, Any]:
    """The fields a reviewer changes (and the reviewer-only note, which they read), with the
    version a change must name."""
    return {"id": answer.id, "value": answer.value, "comment": answer.comment,
            "note": answer.note, "status": answer.status,
            "confidence": round(answer.confidence, 3), "basis": answer.basis,
            "gap_control": answer.gap_control, "assigned_to": answer.assigned_to,
            "version": answer.version}


def review_rows(
    session: Session, kb: KnowledgeBase, questionnaire_id: int, filters: ReviewFilters
) -> list[ReviewRow]:
    # what a review row shows: not the whole question nor the whole match (the matched
    # controls are read out of it in SQL), so hundreds of rows stay quick to load
    found = session.exec(
        select(QuestionRecord, AnswerRecord, col(AnswerRecord.match)["controls"])
        .join(AnswerRecord, col(AnswerRecord.question_id) == QuestionRecord.id, isouter=True)
        .where(QuestionRecord.questionnaire_id == questionnaire_id)
        .order_by(col(QuestionRecord.position))
        .options(defer(col(QuestionRecord.question)), defer(col(AnswerRecord.match)))
    ).all()
    rows = [ReviewRow(question, answer, matches=control_matches(
                from_json(MATCHED, controls), kb) if answer else [])
            for question, answer, controls in found if _passes(filters, question, answer)]
    by_answer = {row.answer.id: row for row in rows if row.answer}
    if by_answer:
        comments = session.exec(
            select(ReviewComment, User.email)
            .join(User, col(User.id) == ReviewComment.user_id)
            .where(col(ReviewComment.answer_id).in_(list(by_answer)))
            .order_by(col(ReviewComment.id))
        ).all()
        for comment, author in comments:
            by_answer[comment.answer_id].comments.append((comment, author))
    assigned = {row.answer.assigned_to for row in rows if row.answer and row.answer.assigned_to}
    if assigned:
        emails = dict(session.exec(
            select(User.id, User.email).where(col(User.id).in_(list(assigned)))).all())
        for row in rows:
            if row.answer and row.answer.assigned_to:
                row.assignee = emails.get(row.answer.assigned_to)
    return rows


def assignable_users(session: Session) -> list[User]:
    """Who an answer can be assigned to: the users who can edit it."""
    users = session.exec(select(User).order_by(col(User.email))).all()
    return [user for user in users if can_edit_answers(user)]


def can_edit_answers(user: User) -> bool:
    return ROLES.index(user.role) >= ROLES.index("editor")


def sections(session: Session, questionnaire_id: int) -> list[str]:
    names = session.exec(
        select(QuestionRecord.section).where(QuestionRecord.questionnaire_id == questionnaire_id)
        .order_by(col(QuestionRecord.position))
    ).all()
    return list(dict.fromkeys(names))


def _passes(filters: ReviewFilters, question: QuestionRecord, answer: AnswerRecord | None) -> bool:
    if filters.section and question.section != filters.section:
        return False
    if not (filters.status or filters.band or filters.gap or filters.assigned_to):
        return True
    if answer is None:
        return False
    return (
        (not filters.assigned_to or answer.assigned_to == filters.assigned_to)
        and (not filters.status or answer.status == filters.status)
        and (not filters.band or confidence_band(answer.confidence) == filters.band)
        and (not filters.gap or (answer.gap_control is not None) == (filters.gap == "yes"))
    )
