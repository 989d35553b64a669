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
    batch_id: int | None = Field(
        default=None, foreign_key="send_batch.id", index=True, ondelete="SET NULL"
    )
    # A message of a send shares its letter with the rest of the send (subject, bodies and
    # headers with placeholders); `fields` fills the person's placeholders, e.g. {"name": …}.
    letter_id: int | None = Field(
        default=None, foreign_key="letter.id", index=True, ondelete="SET NULL"
    )
    fields: dict[str, str] | None = Field(default=None, sa_type=JSON)
    to_address: str | None = None
    subject: str = ""
    body_text: str = ""
    body_html: str | None = None
    headers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # The personal links the body refers to, encrypted with the server key: a copy of the
    # database alone cannot answer or unsubscribe for anyone. Cleared once the message is sent.
    sealed: str | None = None
    # Files sent with it, such as a workshop's calendar entry:
    # [{"filename": …, "content_type": …, "text": …}].
    attachments: list[dict[str, str]] | None = Field(default=None, sa_type=JSON)
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


class SendBatch(SQLModel, table=True):
    """One send or reminder round: who chose whom, by which rule, from which seed."""

    __tablename__ = "send_batch"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int | None = Field(
        default=None, foreign_key="survey.id", index=True, ondelete="CASCADE"
    )
    event_id: int | None = Field(default=None, foreign_key="event.id", ondelete="CASCADE")
    kind: str  # invitation, reminder, follow-up, event-call, event-invitation, event-reminder
    seed: int | None = None  # the random draw can be repeated from it
    criteria: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    summary: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    size: int = 0
    created_by: int | None = Field(default=None, foreign_key="staff.id", ondelete="SET NULL")
    created_by_name: str | None = None
    created_at: datetime = created_at()


class Letter(SQLModel, table=True):
    """The text of one send's email in one language, written once for all its messages."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int | None = Field(
        default=None, foreign_key="send_batch.id", index=True, ondelete="CASCADE"
    )
    kind: str
    language: str
    subject: str
    body_text: str
    body_html: str | None = None
    headers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = created_at()


class PanelFlag(SQLModel, table=True):
    """A switch every process reads from the database, such as "sending is paused"."""

    __tablename__ = "panel_flag"  # type: ignore[assignment]

    name: str = Field(primary_key=True)
    value: str = ""
    updated_at: Moment = moment()
