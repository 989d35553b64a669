"""The outbox's database side: workers lease due rows and record how each send went, and
anyone allowed may pause sending. What staff see of the queue is in `dispatch_queue.py`, and
re-exported here.

A worker only ever changes a row it still holds: every update after the claim is conditional
on the row being `sending` under that worker's lease. So a message cancelled meanwhile (by
staff, or by an erasure) stays cancelled, and a worker whose lease expired and was taken over
cannot overwrite what the new holder records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, or_, update
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .dispatch_queue import (
    MessageRow,
    MessageView,
    QueueCount,
    cancel_queued,
    get_message,
    message_page,
    queue_counts,
    queue_test_message,
    recent_rate,
    retry_failed,
    send_progress,
)
from .models import Invitation, Letter, Message, MessageStatus, PanelFlag, Participant
from .models import ParticipantStatus as Status
from .roles import Role
from .sending import personal
from .timeutil import utcnow

# The hot paths below use the tables through SQLAlchemy Core: the ORM's bulk-update machinery
# costs more than the statements themselves.
_T = Message.__table__  # type: ignore[attr-defined]
_c = _T.c
_FLAGS = PanelFlag.__table__  # type: ignore[attr-defined]

PAUSED_FLAG = "sending_paused"
ERROR_LENGTH = 500  # the last error kept on a row, in characters
CHUNK = 500  # ids per IN (...) list

__all__ = [
    "Failure", "MessageRow", "MessageView", "Outgoing", "QueueCount", "Retry", "cancel_queued",
    "claim_due", "extend_leases", "get_message", "is_paused", "mark_failed", "mark_retry",
    "mark_sent", "message_page", "queue_counts", "queue_test_message", "recent_rate", "release",
    "retry_failed", "send_progress", "set_paused", "settle",
]  # fmt: skip


@dataclass(frozen=True)
class Outgoing:
    """What a worker needs to send one leased message; the text still holds placeholders."""

    id: int
    to_address: str | None
    subject: str
    body_text: str
    body_html: str | None
    headers: dict[str, Any]
    sealed: str | None
    message_id: str | None
    attempts: int  # including the one this lease is for
    participant_id: int | None
    kind: str
    link_salt: str | None = None  # a survey email's: its invitation's, to make the link from
    attachments: tuple[dict[str, str], ...] = ()  # {"filename", "content_type", "text"}
    link_hash: str | None = None  # the invitation's token hash: tells which key made the link


@dataclass(frozen=True)
class Retry:
    message_id: int
    error: str
    next_attempt_at: datetime


@dataclass(frozen=True)
class Failure:
    message_id: int
    error: str
    undeliverable: bool = False  # the server refused the address itself


# In the order of Outgoing's fields, then the priority (for sorting only).
_OUTGOING = (_c.id, _c.to_address, _c.subject, _c.body_text, _c.body_html, _c.headers, _c.sealed,
             _c.message_id, _c.attempts, _c.participant_id, _c.kind, _c.letter_id, _c.fields,
             _c.survey_id, _c.attachments, _c.priority)  # fmt: skip


def _due(now: datetime) -> ColumnElement[bool]:
    """Queued and due, or leased by a worker whose lease ran out (it died or hung)."""
    return or_(
        and_(
            _c.status == MessageStatus.queued,
            or_(_c.next_attempt_at.is_(None), _c.next_attempt_at <= now),
        ),
        and_(
            _c.status == MessageStatus.sending,
            or_(_c.lease_expires_at.is_(None), _c.lease_expires_at < now),
        ),
    )


def claim_due(
    db: Database, *, owner: str, limit: int, lease_seconds: float = 300, now: datetime | None = None
) -> list[Outgoing]:
    """Lease up to `limit` due messages to `owner`, highest priority first; none while paused.

    SQLite runs this in one `BEGIN IMMEDIATE` transaction, so claims are serialised; PostgreSQL
    picks rows with `FOR UPDATE SKIP LOCKED`, so concurrent workers take different rows.
    """
    now = now or utcnow()
    running = ~exists().where(_FLAGS.c.name == PAUSED_FLAG, _FLAGS.c.value == "1")
    pick = select(_c.id).where(_due(now), running).order_by(_c.priority.desc(), _c.id).limit(limit)
    lease = update(_T).values(
        status=MessageStatus.sending,
        lease_owner=owner,
        lease_expires_at=now + timedelta(seconds=lease_seconds),
        attempts=_c.attempts + 1,
    )
    with db.write() as session:
        if db.is_sqlite:  # the write lock is ours already: one statement does it
            rows = session.execute(lease.where(_c.id.in_(pick)).returning(*_OUTGOING)).all()
        else:
            # Two statements: an `IN (SELECT … LIMIT)` inside the UPDATE may be run more than
            # once by PostgreSQL's planner, leasing more than `limit` rows.
            ids = list(session.execute(pick.with_for_update(skip_locked=True)).scalars())
            if not ids:
                return []
            rows = session.execute(
                lease.where(_c.id.in_(ids), _due(now)).returning(*_OUTGOING)
            ).all()
        lettered = [row for row in rows if row.letter_id is not None]
        letters = _letters(session, {row.letter_id for row in lettered})
        people = _people(session, lettered)
    rows = sorted(rows, key=lambda row: (-row.priority, row.id))
    return [_outgoing_of(row, letters, people) for row in rows]


def _letters(session: Session, ids: set[int]) -> dict[int, Letter]:
    if not ids:
        return {}
    return {
        letter.id: letter for letter in session.exec(select(Letter).where(col(Letter.id).in_(ids)))
    }


Person = tuple[str, str, str | None]  # name, invitation salt, invitation token hash


def _people(session: Session, rows: Sequence[Any]) -> dict[tuple[int, int], Person]:
    """(name, invitation salt, its token's hash) of the people a send's rows go to, by (survey,
    participant)."""
    found: dict[tuple[int, int], Person] = {}
    wanted: dict[int | None, set[int]] = {}
    for row in rows:
        if row.participant_id is not None:
            wanted.setdefault(row.survey_id, set()).add(row.participant_id)
    for survey_id, ids in wanted.items():
        query = (
            select(Participant.id, Participant.name, Invitation.link_salt, Invitation.token_hash)
            .join(
                Invitation,
                and_(
                    col(Invitation.participant_id) == Participant.id,
                    col(Invitation.survey_id) == survey_id,
                ),
                isouter=True,
            )
            .where(col(Participant.id).in_(ids))
        )
        for person_id, name, salt, stored in session.exec(query):
            found[(survey_id or 0, person_id)] = (name or "", salt or "", stored)
    return found


def _outgoing_of(
    row: Any, letters: dict[int, Letter], people: dict[tuple[int, int], Person]
) -> Outgoing:
    """A leased row as sent: a send's message takes its letter's words, with the person's name,
    and the salt its personal link is made from."""
    subject, text, html_body, headers, salt, stored = (
        row.subject, row.body_text, row.body_html, row.headers, None, None
    )  # fmt: skip
    letter = letters.get(row.letter_id) if row.letter_id is not None else None
    if letter is not None:
        name, salt, stored = people.get((row.survey_id or 0, row.participant_id), ("", None, None))
        subject, text, html_body = personal(
            letter.subject, letter.body_text, letter.body_html, row.fields or {"name": name}
        )
        headers = {**(letter.headers or {}), **(headers or {})}
    return Outgoing(row.id, row.to_address, subject, text, html_body, headers or {}, row.sealed,
                    row.message_id, row.attempts, row.participant_id, row.kind,
                    salt or None, tuple(row.attachments or ()), stored)  # fmt: skip


# What every recorded outcome clears: the lease, and for sent and failed rows the next attempt.
_SETTLED: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None, "next_attempt_at": None}
_SENT = {**_SETTLED, "sealed": None, "last_error": None}  # the links are no longer needed


def _ours(owner: str, ids: Sequence[int]) -> ColumnElement[bool]:
    return and_(_c.id.in_(ids), _c.status == MessageStatus.sending, _c.lease_owner == owner)


def settle(
    db: Database,
    *,
    owner: str,
    sent: Sequence[int] = (),
    sent_at: datetime | None = None,
    retries: Sequence[Retry] = (),
    failures: Sequence[Failure] = (),
) -> set[int]:
    """Record many outcomes in one transaction; returns the ids that were still ours to record.

    Sent rows lose their sealed links, and an invitation's `sent_at` is set with its email's.
    """
    done: set[int] = set()
    sent_at = sent_at or utcnow()
    with db.write() as session:
        for start in range(0, len(sent), CHUNK):
            rows = session.execute(
                update(_T)
                .where(_ours(owner, sent[start : start + CHUNK]))
                .values(status=MessageStatus.sent, sent_at=sent_at, **_SENT)
                .returning(_c.id, _c.kind, _c.survey_id, _c.participant_id)
            ).all()
            done.update(row.id for row in rows)
            _invitations_sent(session, rows, sent_at)
        for retry in retries:
            error = retry.error[:ERROR_LENGTH]
            values = {**_SETTLED, "next_attempt_at": retry.next_attempt_at, "last_error": error}
            if _change(session, owner, retry.message_id, status=MessageStatus.queued, **values):
                done.add(retry.message_id)
        for failure in failures:
            values = {**_SETTLED, "last_error": failure.error[:ERROR_LENGTH]}
            if _change(session, owner, failure.message_id, status=MessageStatus.failed, **values):
                done.add(failure.message_id)
                if failure.undeliverable:
                    _undeliverable(session, failure.message_id, failure.error)
    return done


def _change(session: Session, owner: str, message_id: int, **values: Any) -> bool:
    result = session.execute(update(_T).where(_ours(owner, [message_id])).values(**values))
    return result.rowcount == 1  # type: ignore[attr-defined]


def _invitations_sent(session: Session, rows: Sequence[Any], sent_at: datetime) -> None:
    by_survey: dict[int, list[int]] = {}
    for row in rows:
        if row.kind == "invitation" and row.survey_id and row.participant_id:
            by_survey.setdefault(row.survey_id, []).append(row.participant_id)
    for survey_id, people in by_survey.items():
        session.execute(
            update(Invitation)
            .where(
                col(Invitation.survey_id) == survey_id,
                col(Invitation.participant_id).in_(people),
                col(Invitation.sent_at).is_(None),
            )
            .values(sent_at=sent_at)
            .execution_options(synchronize_session=False)
        )


def _undeliverable(session: Session, message_id: int, error: str) -> None:
    """The server refused the address for good: no more email to it until someone fixes it."""
    query = select(Message.participant_id).where(Message.id == message_id)
    participant_id = session.exec(query).one()
    person = session.get(Participant, participant_id) if participant_id is not None else None
    if person is None or person.status == Status.erased:
        return
    person.undeliverable_at = utcnow()
    person.undeliverable_reason = error[:ERROR_LENGTH]
    session.add(person)
    audit.record(session, actor=None, action="participant.undeliverable",
                 target_kind="participant", target_id=person.id)  # fmt: skip


def mark_sent(db: Database, *, message_id: int, owner: str, sent_at: datetime) -> bool:
    return message_id in settle(db, owner=owner, sent=[message_id], sent_at=sent_at)


def mark_retry(
    db: Database, *, message_id: int, owner: str, error: str, next_attempt_at: datetime
) -> bool:
    """Back to the queue until `next_attempt_at`, the lease given up."""
    retry = Retry(message_id, error, next_attempt_at)
    return message_id in settle(db, owner=owner, retries=[retry])


def mark_failed(
    db: Database, *, message_id: int, owner: str, error: str, undeliverable: bool = False
) -> bool:
    failure = Failure(message_id, error, undeliverable)
    return message_id in settle(db, owner=owner, failures=[failure])


def extend_leases(
    db: Database,
    *,
    owner: str,
    ids: Sequence[int],
    lease_seconds: float,
    now: datetime | None = None,
) -> int:
    """Hold on to rows still being worked on, so that a live worker's lease never runs out;
    returns how many were still ours."""
    expires = (now or utcnow()) + timedelta(seconds=lease_seconds)
    extended = 0
    with db.write() as session:
        for start in range(0, len(ids), CHUNK):
            result = session.execute(
                update(_T)
                .where(_ours(owner, ids[start : start + CHUNK]))
                .values(lease_expires_at=expires)
            )
            extended += result.rowcount  # type: ignore[attr-defined]
    return extended


def release(db: Database, *, owner: str, ids: Sequence[int] | None = None) -> int:
    """Give back this worker's leased rows (or those of `ids`) unsent; the claim's attempt is
    not counted against them. Only for rows the worker never began to send."""
    where = [_c.status == MessageStatus.sending, _c.lease_owner == owner]
    if ids is not None:
        where.append(_c.id.in_(ids))
    with db.write() as session:
        result = session.execute(
            update(_T)
            .where(*where)
            .values(
                status=MessageStatus.queued,
                lease_owner=None,
                lease_expires_at=None,
                attempts=case((_c.attempts > 0, _c.attempts - 1), else_=0),
            )
        )
    return result.rowcount  # type: ignore[attr-defined]


# Pausing


def _paused(session: Session) -> bool:
    query = select(_FLAGS.c.value).where(_FLAGS.c.name == PAUSED_FLAG)
    return session.execute(query).scalar() == "1"


def is_paused(db: Database) -> bool:
    with db.read() as session:
        return _paused(session)


def set_paused(db: Database, *, actor: Actor, paused: bool) -> None:
    """Stop (or restart) every worker's sending; rows already on the wire still finish."""
    actor.require(Role.admin, Role.editor)
    with db.write() as session:
        flag = session.get(PanelFlag, PAUSED_FLAG) or PanelFlag(name=PAUSED_FLAG)
        flag.value = "1" if paused else ""
        flag.updated_at = utcnow()
        session.add(flag)
        audit.record(session, actor=actor, action="sending.paused" if paused else "sending.resumed")
