"""The outbox: every email the panel means to send, sent by whichever worker leases it."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from ._fields import Moment, created_at, moment


class MessageStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"


class Message(SQLModel, table=True):
    __table_args__ = (Index("ix_message_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # e.g. "invite:{survey}:{participant}": the same email can never be queued twice.
    dedupe_key: str = Field(unique=True)
    kind: str
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", index=True, ondelete="SET NULL"
    )
    survey_id: int | None = Field(default=None, foreign_key="survey.id", ondelete="SET NULL")
    event_id: int | None = Field(default=None, foreign_key="event.id", ondelete="SET NULL")
    to_address: str | None = None
    subject: str = ""
    body_text: str = ""
    body_html: str | None = None
    headers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    status: str = MessageStatus.queued
    priority: int = 0
    attempts: int = 0
    next_attempt_at: Moment = moment()
    last_error: str | None = None
    message_id: str | None = None
    lease_owner: str | None = None
    lease_expires_at: Moment = moment()
    created_at: datetime = created_at()
    sent_at: Moment = moment()
