"""Writing and reading the audit log."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from .actors import Actor
from .db import Database
from .models import AuditEvent, Role, Staff


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    target_kind: str | None = None,
    target_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one audit row to the session's transaction, so it lands with the change it records."""
    session.add(
        AuditEvent(
            actor_id=actor.id if actor else None,
            actor_name=actor.username if actor else None,
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            detail=detail,
        )
    )


def record_staff(
    session: Session, *, actor: Actor | None, action: str, staff: Staff, **detail: Any
) -> None:
    """Audit something done to, or by, one staff account."""
    record(
        session,
        actor=actor,
        action=action,
        target_kind="staff",
        target_id=staff.id,
        detail={"username": staff.username, **detail},
    )


def list_events(
    db: Database,
    *,
    actor: Actor,
    limit: int = 200,
    offset: int = 0,
    action_prefix: str = "",
) -> list[AuditEvent]:
    """The newest events first; admins only."""
    actor.require(Role.admin)
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).offset(offset).limit(limit)
    if action_prefix:
        query = query.where(col(AuditEvent.action).startswith(action_prefix))
    with db.read() as session:
        return list(session.exec(query))
