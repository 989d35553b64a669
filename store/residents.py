"""What residents do for themselves from a link in an email: pause, leave the panel, or leave
and have their data erased. The link (store/links.py) is the proof of who they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import col

from . import audit
from .actors import Actor
from .answering import LinkState, LinkUnusable
from .db import Database
from .events import withdraw_leaver
from .links import unsubscribe_code_ok
from .models import Message, MessageStatus, Participant, ParticipantStatus
from .privacy import erase_participant
from .secrets import ServerKey
from .timeutil import utcnow

PAUSE_DAYS = 91  # "pause for three months"


class Choice(StrEnum):
    pause = "pause"
    leave = "leave"
    erase = "erase"


@dataclass(frozen=True)
class Member:
    id: int
    status: str
    paused_until: datetime | None
    language: str


def _checked(key: ServerKey, participant_id: int, code: str) -> None:
    if not (0 < participant_id < 2**63 and unsubscribe_code_ok(key, participant_id, code or "")):
        raise LinkUnusable(LinkState.unknown)


def member(db: Database, key: ServerKey, participant_id: int, code: str) -> Member:
    """Who an unsubscribe link belongs to; LinkUnusable(unknown) for a bad link or the erased."""
    _checked(key, participant_id, code)
    with db.read() as session:
        person = session.get(Participant, participant_id)
        if person is None or person.status == ParticipantStatus.erased:
            raise LinkUnusable(LinkState.unknown)
        return Member(participant_id, person.status, person.paused_until, person.language or "nb")


def choose(db: Database, key: ServerKey, participant_id: int, code: str, choice: Choice) -> None:
    """Do what the resident chose. Leaving and pausing cancel the email queued for them, and
    give up their workshop invitations still to come (see `withdraw_leaver`)."""
    _checked(key, participant_id, code)
    if choice == Choice.erase:
        erase_participant(db, actor=Actor.resident(participant_id), participant_id=participant_id)
        return
    now = utcnow()
    with db.write() as session:
        person = session.get(Participant, participant_id)
        if person is None or person.status == ParticipantStatus.erased:
            raise LinkUnusable(LinkState.unknown)
        before = person.status
        if choice == Choice.pause:
            person.status = ParticipantStatus.paused
            person.paused_until = now + timedelta(days=PAUSE_DAYS)
        else:
            person.status = ParticipantStatus.unsubscribed
            person.paused_until = None
        person.updated_at = now
        session.add(person)
        withdrawn = withdraw_leaver(session, participant_id, now)
        cancelled = session.execute(
            update(Message)
            .where(
                col(Message.participant_id) == participant_id,
                col(Message.status) == MessageStatus.queued,
            )
            .values(status=MessageStatus.cancelled, sealed=None, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        audit.record(
            session,
            actor=Actor.resident(participant_id),
            action=f"participant.{choice.value}",
            target_kind="participant",
            target_id=participant_id,
            detail={
                "from": before,
                "to": person.status,
                "messages_cancelled": cancelled,
                "workshop_invites_withdrawn": withdrawn,
            },
        )


def end_pauses(db: Database) -> int:
    """Make those whose pause has run out active members again; how many."""
    now = utcnow()
    with db.write() as session:
        return session.execute(
            update(Participant)
            .where(
                col(Participant.status) == ParticipantStatus.paused,
                col(Participant.paused_until).is_not(None),
                col(Participant.paused_until) <= now,
            )
            .values(status=ParticipantStatus.active, paused_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
