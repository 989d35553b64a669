"""The dispatch queue as staff see it: counts, pages of messages, one message as stored, and
what they may do to the queue (retry the failed, cancel the waiting, send a test message).

Admins and editors only; every change is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import ColumnElement, func, or_, update
from sqlmodel import col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid, NotFound
from .models import Event, Message, MessageStatus, Participant, Survey
from .models import ParticipantStatus as Status
from .roles import Role
from .timeutil import utcnow
from .validation import normalise_email

TEST_PRIORITY = 100  # a test message goes ahead of a large send


@dataclass(frozen=True)
class QueueCount:
    survey_id: int | None
    survey_title: str | None
    kind: str
    status: str
    count: int


@dataclass(frozen=True)
class MessageRow:
    id: int
    kind: str
    survey_id: int | None
    to_address: str | None
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


@dataclass(frozen=True)
class MessageView:
    """One message as stored: the personal links are still placeholders."""

    row: MessageRow
    headers: dict[str, Any]
    subject: str
    text: str
    html: str | None
    message_id: str | None
    attachments: tuple[dict[str, str], ...] = ()  # {"filename", "content_type", "text"}


_TITLE = func.coalesce(col(Survey.title), col(Event.title))  # a survey's, or a workshop's
_COUNTED = (col(Message.survey_id), _TITLE, col(Message.kind), col(Message.status))


def queue_counts(db: Database, *, actor: Actor) -> list[QueueCount]:
    """How many messages there are of each survey (or workshop), kind and status."""
    actor.require(Role.admin, Role.editor)
    query = (
        select(*_COUNTED, func.count())
        .outerjoin(Survey, col(Survey.id) == Message.survey_id)
        .outerjoin(Event, col(Event.id) == Message.event_id)
        .group_by(*_COUNTED, col(Message.event_id))
        .order_by(*_COUNTED)
    )
    with db.read() as session:
        return [QueueCount(*row) for row in session.exec(query)]


_ROW = (Message.id, Message.kind, Message.survey_id, Message.to_address, Message.subject,
        Message.status, Message.attempts, Message.last_error, Message.created_at,
        Message.next_attempt_at, Message.sent_at)  # fmt: skip


def message_page(
    db: Database,
    *,
    actor: Actor,
    status: str | None = None,
    survey_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[MessageRow]:
    """One page of messages, newest first."""
    actor.require(Role.admin, Role.editor)
    query = select(*_ROW).order_by(col(Message.id).desc()).offset(offset).limit(limit)
    if status:
        query = query.where(col(Message.status) == status)
    if survey_id is not None:
        query = query.where(col(Message.survey_id) == survey_id)
    with db.read() as session:
        return [MessageRow(*row) for row in session.exec(query)]


def get_message(db: Database, *, actor: Actor, message_id: int) -> MessageView:
    actor.require(Role.admin, Role.editor)
    from .sending import message_content

    with db.read() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise NotFound(f"no message has the id {message_id}")
        content = message_content(session, message)
    row = MessageRow(*(getattr(message, column.key) for column in _ROW))
    return MessageView(row=row, headers=content.headers, subject=content.subject,
                       text=content.text, html=content.html,
                       message_id=message.message_id,
                       attachments=tuple(message.attachments or ()))  # fmt: skip


def _of_survey(survey_id: int | None) -> list[ColumnElement[bool]]:
    return [] if survey_id is None else [col(Message.survey_id) == survey_id]


def retry_failed(db: Database, *, actor: Actor, survey_id: int | None = None) -> int:
    """Failed messages back in the queue with a fresh count of attempts, except those to an
    address a server refused for good or to a person since erased."""
    actor.require(Role.admin, Role.editor)
    refused = col(Participant.undeliverable_at).is_not(None)
    blocked = select(Participant.id).where(or_(refused, col(Participant.status) == Status.erased))
    person = col(Message.participant_id)
    with db.write() as session:
        result = session.execute(
            update(Message)
            .where(
                col(Message.status) == MessageStatus.failed,
                col(Message.to_address).is_not(None),
                or_(person.is_(None), person.not_in(blocked)),
                *_of_survey(survey_id),
            )
            .values(status=MessageStatus.queued, attempts=0, next_attempt_at=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
        count = result.rowcount  # type: ignore[attr-defined]
        audit.record(session, actor=actor, action="outbox.retried", target_kind="survey",
                     target_id=survey_id, detail={"messages": count})  # fmt: skip
    return count


def cancel_queued(db: Database, *, actor: Actor, survey_id: int | None = None) -> int:
    """Cancel what is waiting (not what a worker is sending this moment); their links go."""
    actor.require(Role.admin, Role.editor)
    with db.write() as session:
        result = session.execute(
            update(Message)
            .where(col(Message.status) == MessageStatus.queued, *_of_survey(survey_id))
            .values(status=MessageStatus.cancelled, sealed=None, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
        count = result.rowcount  # type: ignore[attr-defined]
        audit.record(session, actor=actor, action="outbox.cancelled", target_kind="survey",
                     target_id=survey_id, detail={"messages": count})  # fmt: skip
    return count


def queue_test_message(
    db: Database, key: Any, *, actor: Actor, to_address: str, mail_from: str, text: str
) -> int:
    """A test email to `to_address`, ahead of the queue; returns its id.

    `key` (the server key) is taken like the other queueing operations take it; a test message
    holds no personal links, so nothing is sealed with it.
    """
    actor.require(Role.admin, Role.editor)
    address, _ = normalise_email(to_address)
    if not parseaddr(mail_from)[1]:
        raise Invalid("mail_from", f"{mail_from!r} is not an address")
    token = uuid.uuid4().hex
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    message = Message(
        dedupe_key=f"test:{token}",
        kind="test",
        to_address=address,
        subject="Testmelding fra Innbyggerpanelet",
        body_text=text,
        headers={"From": mail_from},
        priority=TEST_PRIORITY,
        message_id=f"<test.{token}@{domain}>",
    )
    with db.write() as session:
        session.add(message)
        session.flush()
        assert message.id is not None
        audit.record(session, actor=actor, action="outbox.test_queued", target_kind="message",
                     target_id=message.id)  # fmt: skip
    return message.id


def send_progress(db: Database, *, actor: Actor, batch_id: int) -> tuple[int, int]:
    """(done, total) for one send batch: done counts sent, failed and cancelled messages."""
    actor.require(Role.admin, Role.editor)
    finished = col(Message.status).in_(
        [MessageStatus.sent, MessageStatus.failed, MessageStatus.cancelled]
    )
    query = select(func.count(), func.count().filter(finished)).where(Message.batch_id == batch_id)
    with db.read() as session:
        total, done = session.exec(query).one()
    return done, total


def recent_rate(db: Database, *, seconds: float = 60, now: datetime | None = None) -> float:
    """Messages sent per second over the last `seconds`."""
    since = (now or utcnow()) - timedelta(seconds=seconds)
    query = select(func.count()).where(
        col(Message.status) == MessageStatus.sent, col(Message.sent_at) >= since
    )
    with db.read() as session:
        return session.exec(query).one() / seconds
