"""The audit log: who changed what, when, with the value before and after."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from .auth import Principal
from .models import AuditEvent


def record(
    session: Session,
    actor: Principal | None,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an event to `session`; it is committed with the change it describes."""
    session.add(AuditEvent(
        user_id=actor.user_id if actor else None,
        actor=actor.email if actor else "system",
        action=action, target=target, before=before, after=after,
    ))


def recent(session: Session, limit: int = 500) -> list[AuditEvent]:
    return list(session.exec(
        select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    ).all())


def event_dict(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "at": event.at.isoformat(), "actor": event.actor,
            "action": event.action, "target": event.target, "before": event.before,
            "after": event.after}
