"""The residents' side of workshops: answering a call for volunteers, and an invitation.

Both come by a personal link whose token only the server key can make (store/events.py). An
invited resident takes a place in a session, moves to another, or declines. A full session
puts them on its waiting list instead. Places are counted and taken with the session's row
locked (SQLite: the write lock of `BEGIN IMMEDIATE`; PostgreSQL: `SELECT … FOR UPDATE`), so
however many answer at the same moment, a session never holds more than its places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid
from .events import (
    EventFacts,
    EventMail,
    SessionFacts,
    calendar_entry,
    facts,
    invite_token,
    locked_session,
    places_taken,
    promote_waiting,
    queue_place_email,
    queue_release_email,
    rsvp_link,
    session_calendar,
    token_hashes,
)
from .ics import calendar
from .models import (
    Event,
    EventInvite,
    EventSession,
    EventStatus,
    EventVolunteer,
    Participant,
    ParticipantStatus,
    RsvpState,
)
from .secrets import ServerKey
from .sending import Mailing
from .timeutil import utcnow

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
Row = TypeVar("Row", EventInvite, EventVolunteer)


class RsvpOutcome(StrEnum):
    accepted = "accepted"
    waitlisted = "waitlisted"
    declined = "declined"
    unchanged = "unchanged"
    closed = "closed"  # the event is closed, or the session has begun


@dataclass(frozen=True)
class SessionChoice:
    session: SessionFacts
    free: int  # places left
    started: bool  # too late to choose


@dataclass(frozen=True)
class RsvpView:
    invite_id: int
    name: str
    language: str
    state: str
    session_id: int | None
    event: EventFacts
    choices: list[SessionChoice]
    closed: bool  # no more answers: the event is closed or every session has begun
    waitlist_position: int | None  # 1 for the first in line


@dataclass(frozen=True)
class CallView:
    name: str
    language: str
    event: EventFacts
    answer: str | None  # "yes", "no", or None before answering
    closed: bool


# ------------------------------------------------------------------------------- invitations


def rsvp_view(db: Database, key: ServerKey, token: str) -> RsvpView | None:
    """What an invitation's page shows; None if the link opens nothing."""
    with db.read() as session:
        found = _invite(session, key, token)
        return _view(session, *found, utcnow()) if found else None


def answer_invite(
    db: Database, key: ServerKey, token: str, *, session_id: int | None, mail: EventMail
) -> tuple[RsvpOutcome, RsvpView] | None:
    """Take a place in `session_id`, or decline (None). A full session puts the resident on
    its waiting list; a place given up goes to that session's list at once. An email confirms
    the answer (with the calendar file for a place, or, for a place given up by saying no, the
    entry cancelled). None if the link opens nothing."""
    if session_id is not None and not 0 < session_id < 2**31:  # not an id any table holds
        raise Invalid("session", "choose one of this event's sessions")
    now = utcnow()
    with db.write() as session:
        found = _invite(session, key, token)
        if found is None:
            return None
        invite, event, person = found
        if _closed(session, event, now):
            return RsvpOutcome.closed, _view(session, invite, event, person, now)
        before_state, before_session = invite.state, invite.session_id
        if session_id is None:
            if before_state == RsvpState.declined:
                return RsvpOutcome.unchanged, _view(session, invite, event, person, now)
            held = _lock(session, db, [before_session])
            invite.state, invite.session_id, invite.waitlisted_at = RsvpState.declined, None, None
            outcome = RsvpOutcome.declined
        else:
            if before_session == session_id and before_state in (
                RsvpState.accepted,
                RsvpState.waitlisted,
            ):
                return RsvpOutcome.unchanged, _view(session, invite, event, person, now)
            held = _lock(session, db, [before_session, session_id])
            target = held.get(session_id)
            if target is None or target.event_id != event.id:
                raise Invalid("session", "choose one of this event's sessions")
            if target.starts_at <= now:
                return RsvpOutcome.closed, _view(session, invite, event, person, now)
            invite.session_id = session_id
            invite.state = RsvpState.waitlisted  # not counted while places are
            session.add(invite)
            session.flush()
            if places_taken(session, session_id) < target.capacity:
                invite.state, invite.waitlisted_at = RsvpState.accepted, None
                outcome = RsvpOutcome.accepted
            else:
                invite.waitlisted_at = now
                outcome = RsvpOutcome.waitlisted
        invite.responded_at = now
        session.add(invite)
        session.flush()
        promoted = 0
        gave_up = before_session != invite.session_id or invite.state != RsvpState.accepted
        if before_state == RsvpState.accepted and before_session in held and gave_up:
            promoted = promote_waiting(session, key, held[before_session], mail, now)
        if outcome != RsvpOutcome.declined:
            queue_place_email(session, key, event, invite, mail, now)
        elif before_state == RsvpState.accepted and before_session in held:
            queue_release_email(session, key, event, invite, held[before_session], mail, now,
                                state="declined")  # fmt: skip
        audit.record(
            session,
            actor=Actor.resident(person.id or 0),
            action=f"event.{outcome.value}",
            target_kind="participant",
            target_id=person.id,
            detail={"event": event.id, "session": invite.session_id, "promoted": promoted},
        )
        return outcome, _view(session, invite, event, person, now)


def rsvp_calendar(db: Database, key: ServerKey, token: str, mailing: Mailing) -> str | None:
    """The calendar file for an invitation's page: the session with a place, else every
    session still to come. None if the link opens nothing."""
    with db.read() as session:
        found = _invite(session, key, token)
        if found is None:
            return None
        invite, event, _person = found
        info = facts(session, event, invite)
        link = rsvp_link(mailing.base_url, token)
        if invite.state == RsvpState.accepted and info.session is not None:
            return session_calendar(info, info.session, mailing, link)["text"]
        now = utcnow()
        entries = [
            calendar_entry(info, s, mailing, link) for s in info.sessions if s.starts_at > now
        ]
        return calendar(entries)


def _invite(
    session: Session, key: ServerKey, token: str
) -> tuple[EventInvite, Event, Participant] | None:
    found = _holder(session, key, token, EventInvite)
    if found is None or found[0].state == RsvpState.cancelled:
        return None
    return found


def _holder(session: Session, key: ServerKey, token: str, table: type[Row]):
    """The row of `table` (an invitation, or a call) a link's token opens, with its event and
    resident; None if it opens nothing, or its resident is no longer on the panel."""
    if not TOKEN.fullmatch(token or ""):
        return None
    found = session.exec(
        select(table, Event, Participant)
        .join(Event, col(Event.id) == table.event_id)
        .join(Participant, col(Participant.id) == table.participant_id)
        .where(col(table.token_hash).in_(token_hashes(key, token)))
    ).first()
    if found is None or found[2].status != ParticipantStatus.active:
        return None
    row, event, person = found
    return row, event, person


def _lock(session: Session, db: Database, ids: list[int | None]) -> dict[int, EventSession]:
    """Lock the sessions named, in id order (two answers never wait on each other's locks)."""
    return {i: locked_session(session, db, i) for i in sorted({i for i in ids if i})}


def _closed(session: Session, event: Event, now: datetime) -> bool:
    if event.status != EventStatus.open:
        return True
    upcoming = session.exec(
        select(func.count()).where(
            EventSession.event_id == event.id, col(EventSession.starts_at) > now
        )
    ).one()
    return upcoming == 0


def _view(
    session: Session, invite: EventInvite, event: Event, person: Participant, now: datetime
) -> RsvpView:
    info = facts(session, event, invite)
    taken = dict(
        session.exec(
            select(EventInvite.session_id, func.count())
            .where(EventInvite.event_id == event.id, EventInvite.state == RsvpState.accepted)
            .group_by(EventInvite.session_id)
        ).all()
    )
    choices = [
        SessionChoice(s, max(s.capacity - taken.get(s.id, 0), 0), s.starts_at <= now)
        for s in info.sessions
    ]
    position = None
    if invite.state == RsvpState.waitlisted and invite.waitlisted_at is not None:
        position = (
            1
            + session.exec(
                select(func.count()).where(
                    EventInvite.session_id == invite.session_id,
                    EventInvite.state == RsvpState.waitlisted,
                    or_(
                        col(EventInvite.waitlisted_at) < invite.waitlisted_at,
                        and_(
                            col(EventInvite.waitlisted_at) == invite.waitlisted_at,
                            col(EventInvite.id) < invite.id,
                        ),
                    ),
                )
            ).one()
        )
    language = person.language if person.language in ("nb", "en") else "nb"
    return RsvpView(
        invite.id or 0,
        person.name or "",
        language,
        invite.state,
        invite.session_id,
        info,
        choices,
        _closed(session, event, now),
        position,
    )


# --------------------------------------------------------------------- the call for volunteers


def call_view(db: Database, key: ServerKey, token: str) -> CallView | None:
    """What a call for volunteers' page shows; None if the link opens nothing."""
    with db.read() as session:
        found = _volunteer(session, key, token)
        return _call_view(session, *found) if found else None


def answer_call(db: Database, key: ServerKey, token: str, *, yes: bool) -> CallView | None:
    """Volunteer, or say no (either can be changed while the event is open)."""
    now = utcnow()
    with db.write() as session:
        found = _volunteer(session, key, token)
        if found is None:
            return None
        row, event, person = found
        if event.status == EventStatus.open:
            row.volunteered_at, row.declined_at = (now, None) if yes else (None, now)
            session.add(row)
            audit.record(
                session,
                actor=Actor.resident(person.id or 0),
                action="event.volunteered" if yes else "event.not_volunteering",
                target_kind="participant",
                target_id=person.id,
                detail={"event": event.id},
            )
        return _call_view(session, row, event, person)


def _volunteer(
    session: Session, key: ServerKey, token: str
) -> tuple[EventVolunteer, Event, Participant] | None:
    return _holder(session, key, token, EventVolunteer)


def _call_view(
    session: Session, row: EventVolunteer, event: Event, person: Participant
) -> CallView:
    answer = "yes" if row.volunteered_at else "no" if row.declined_at else None
    language = person.language if person.language in ("nb", "en") else "nb"
    return CallView(
        person.name or "", language, facts(session, event), answer, event.status != EventStatus.open
    )


__all__ = [
    "CallView", "RsvpOutcome", "RsvpView", "SessionChoice", "answer_call", "answer_invite",
    "call_view", "invite_token", "rsvp_calendar", "rsvp_view",
]  # fmt: skip
