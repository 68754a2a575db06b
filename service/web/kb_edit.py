"""Admins' edits of the knowledge base: a control's declared status, an evidence item's dates.

An edit is stored over the YAML profile (`ControlOverride`, `EvidenceOverride`), audited with
the values before and after, and the cached profile and Matcher are dropped so the next
answering uses it. The answers of existing questionnaires that cite the affected control
(directly, or through the evidence) are then re-evaluated: answers still as the engine drafted
them are answered again by a queued `refresh` job, while an answer a person edited or approved
is not overwritten but put back to needs_review with a reviewer note saying what changed (the
note is for reviewers only: never written into the customer's file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select, update

from service.controls import Status, effective_status

from . import audit
from .auth import Principal
from .knowledge import Knowledge
from .models import (
    AnswerRecord,
    ControlOverride,
    EvidenceOverride,
    Job,
    QuestionRecord,
    utcnow,
)
from .questionnaires import InvalidInput, answer_dict
from .review import NotFound

CONTROL_STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
MAX_NOTE = 2_000
MAX_ANSWER_NOTE = 10_000  # an answer's reviewer note, flags of several edits included


@dataclass
class Reevaluation:
    flagged: list[int] = field(default_factory=list)  # answer ids put back to needs_review
    jobs: list[int] = field(default_factory=list)  # refresh jobs queued

    def to_dict(self) -> dict[str, Any]:
        return {"flagged_answers": self.flagged, "refresh_jobs": self.jobs}


def parse_day(value: str, what: str, required: bool = False) -> date | None:
    value = value.strip()
    if not value:
        if required:
            raise InvalidInput(f"the {what} is required (YYYY-MM-DD)")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def control_state_dict(knowledge: Knowledge, control_id: str, on: date) -> dict[str, Any]:
    state = knowledge.company.control_states.get(control_id)
    assessment = effective_status(knowledge.company, control_id, on)
    return {"control": control_id, "status": assessment.declared.value,
            "effective": assessment.effective.value, "note": state.note if state else "",
            "target_date": state.target_date.isoformat() if state and state.target_date
            else None}


def evidence_dates_dict(knowledge: Knowledge, evidence_id: str) -> dict[str, Any]:
    item = knowledge.company.evidence[evidence_id]
    return {"evidence": evidence_id, "collected": item.collected.isoformat(),
            "expires": item.expires.isoformat() if item.expires else None}


def set_control_status(
    session: Session, knowledge: Knowledge, actor: Principal, control_id: str, status: str,
    note: str = "", target_date: str = "",
) -> tuple[dict[str, Any], Reevaluation]:
    """Change `control_id`'s declared status; returns its state after and what was flagged."""
    if control_id not in knowledge.kb.controls:
        raise NotFound(f"no control {control_id}")
    if status not in CONTROL_STATUSES:
        raise InvalidInput(f"unknown status {status!r}: use {', '.join(CONTROL_STATUSES)}")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"notes are limited to {MAX_NOTE} characters")
    target = parse_day(target_date, "target date")
    today = date.today()
    before = control_state_dict(knowledge, control_id, today)
    key = knowledge.company.key
    saved = session.get(ControlOverride, (key, control_id)) or ControlOverride(
        company_key=key, control_id=control_id, status=status, updated_by=actor.user_id)
    saved.status, saved.note, saved.target_date = status, note, target
    saved.updated_by, saved.updated_at = actor.user_id, utcnow()
    session.add(saved)
    session.commit()
    after = control_state_dict(knowledge, control_id, today)
    if after == before:
        return after, Reevaluation()
    audit.record(session, actor, "knowledge.control", f"control:{control_id}", before, after)
    change = f"control {control_id} changed from {_said(before)} to {_said(after)} on {today}"
    if before["note"] != after["note"] and before["status"] == after["status"]:
        change = f"control {control_id}'s note changed on {today}"
    outcome = _reevaluate(session, actor, {control_id}, None, change)
    session.commit()
    return after, outcome


def set_evidence_dates(
    session: Session, knowledge: Knowledge, actor: Principal, evidence_id: str,
    collected: str, expires: str = "",
) -> tuple[dict[str, Any], Reevaluation]:
    """Change when `evidence_id` was collected and when it expires (empty: never)."""
    if evidence_id not in knowledge.company.evidence:
        raise NotFound(f"no evidence {evidence_id}")
    start = parse_day(collected, "collected date", required=True)
    end = parse_day(expires, "expiry date")
    assert start is not None
    if end is not None and end < start:
        raise InvalidInput(f"evidence cannot expire ({end}) before it was collected ({start})")
    today = date.today()
    controls = set(knowledge.company.evidence[evidence_id].controls)
    before = evidence_dates_dict(knowledge, evidence_id)
    statuses_before = {c: control_state_dict(knowledge, c, today) for c in sorted(controls)}
    key = knowledge.company.key
    saved = session.get(EvidenceOverride, (key, evidence_id)) or EvidenceOverride(
        company_key=key, evidence_id=evidence_id, collected=start, updated_by=actor.user_id)
    saved.collected, saved.expires = start, end
    saved.updated_by, saved.updated_at = actor.user_id, utcnow()
    session.add(saved)
    session.commit()
    after = evidence_dates_dict(knowledge, evidence_id)
    if after == before:
        return after, Reevaluation()
    statuses_after = {c: control_state_dict(knowledge, c, today) for c in sorted(controls)}
    audit.record(session, actor, "knowledge.evidence", f"evidence:{evidence_id}",
                 {**before, "controls": statuses_before}, {**after, "controls": statuses_after})
    moved = [f"control {c} now counts as {statuses_after[c]['effective'].replace('_', ' ')} "
             f"(was {statuses_before[c]['effective'].replace('_', ' ')})"
             for c in statuses_after if statuses_after[c] != statuses_before[c]]
    change = (f"evidence {evidence_id} dates changed (collected {before['collected']} → "
              f"{after['collected']}, expires {before['expires'] or 'never'} → "
              f"{after['expires'] or 'never'}) on {today}")
    if moved:
        change = f"{change}: {'; '.join(moved)}"
    outcome = _reevaluate(session, actor, controls, evidence_id, change)
    session.commit()
    return after, outcome


def _said(state: dict[str, Any]) -> str:
    said = state["status"].replace("_", " ")
    if state["effective"] != state["status"]:
        said += f" (counted as {state['effective'].replace('_', ' ')})"
    return said


def _cites(answer: AnswerRecord, controls: set[str], evidence_id: str | None) -> bool:
    if answer.gap_control in controls:
        return True
    return any((c.get("kind") == "control" and c.get("id") in controls)
               or (c.get("kind") == "evidence" and c.get("id") == evidence_id)
               for c in answer.citations)


def _reevaluate(
    session: Session, actor: Principal, controls: set[str], evidence_id: str | None,
    change: str,
) -> Reevaluation:
    """Flag the person-written answers citing `controls`/`evidence_id`; queue answering again
    for the questionnaires whose automatic answers cite them. Not committed here."""
    outcome = Reevaluation()
    refresh: set[int] = set()
    for answer in session.exec(select(AnswerRecord).order_by(col(AnswerRecord.id))).all():
        if not _cites(answer, controls, evidence_id):
            continue
        if not answer.person_written:
            refresh.add(answer.questionnaire_id)
            continue
        assert answer.id is not None
        before = answer_dict(answer)
        # for the reviewer, never the customer: the note, not the comment their file gets
        flag = f"Needs review: {change}. Check this answer still holds."
        note = f"{flag}\n{answer.note}" if answer.note else flag
        session.exec(update(AnswerRecord).where(col(AnswerRecord.id) == answer.id)
                     .values(status="needs_review", note=note[:MAX_ANSWER_NOTE],
                             version=answer.version + 1, updated_by=actor.user_id,
                             updated_at=utcnow()))
        session.refresh(answer)
        audit.record(session, actor, "answer.flag", f"answer:{answer.id}", before,
                     {**answer_dict(answer), "reason": change})
        outcome.flagged.append(answer.id)
    for questionnaire_id in sorted(refresh):
        pending = session.exec(select(Job.id).where(
            Job.questionnaire_id == questionnaire_id, Job.status == "pending")).first()
        if pending is not None:
            outcome.jobs.append(pending)  # a queued job will answer with the new knowledge
            continue
        questions = len(session.exec(select(QuestionRecord.id).where(
            QuestionRecord.questionnaire_id == questionnaire_id)).all())
        job = Job(kind="refresh", questionnaire_id=questionnaire_id, total=questions)
        session.add(job)
        session.flush()
        assert job.id is not None
        audit.record(session, actor, "questionnaire.refresh", f"questionnaire:{questionnaire_id}",
                     None, {"job": job.id, "reason": change})
        outcome.jobs.append(job.id)
    return outcome
