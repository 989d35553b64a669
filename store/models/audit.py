"""The audit log: who did what to which record, and when."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from ._fields import created_at


class AuditEvent(SQLModel, table=True):
    """One action. `detail` holds ids and counts, never a participant's personal data."""

    __tablename__ = "audit_event"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at()
    actor_id: int | None = Field(default=None, foreign_key="staff.id", ondelete="SET NULL")
    actor_name: str | None = None
    action: str = Field(index=True)
    target_kind: str | None = None
    target_id: int | None = None
    detail: dict[str, Any] | None = Field(default=None, sa_type=JSON)
