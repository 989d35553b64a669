"""Workshops and co-creation: events and their sessions, volunteers, invitations and attendance.

An event (a workshop, a co-creation day) has one or more sessions, each with a time and a
number of places. Residents become volunteers for it by answering a call for volunteers (an
email to a sample of the panel), through a question in an identified survey, or because staff
enter them. A draw among the volunteers (store/event_draw.py) chooses whom to invite; each
invited resident answers on a personal page (store/rsvp.py): a place in a session, or no.

A session never holds more accepted residents than its places. Whoever asks for a full session
goes on its waiting list, and is given a place, in the order they asked, as soon as one frees
up: someone declines or moves, staff cancel an invitation, or staff add places. The emails
that give a place, and the reminder the day before, carry the session as a calendar file.

Every email here goes through the outbox, counts as contact for the contact-frequency rule,
and shows in the resident's history. Their personal links are sealed in the outbox
(store/sealing.py); the tokens are keyed hashes of a salt on the row, as for surveys, so a
later email can repeat a link that the database alone cannot make.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid, NotFound, Refused
from .ics import CalendarEntry, calendar
from .links import new_salts, unsubscribe_link
from .models import (
    Answer,
    Event,
    EventDraw,
    EventInvite,
    EventSession,
    EventStatus,
    EventVolunteer,
    Message,
    MessageStatus,
    Option,
    Participant,
    ParticipantStatus,
    Question,
    QuestionKind,
    Response,
    RsvpState,
    SendBatch,
    Survey,
)
from .reference import age_band
from .roles import Role
from .sampling import Plan, Selection, plan_send
from .sealing import LINK, UNSUBSCRIBE, seal
from .secrets import ServerKey
from .sending import (
    Letter,
    Mailing,
    Queued,
    outbox_row,
    personal,
    reachable_people,
    store_letters,
    write_batch,
)
from .timeutil import utcnow
from .validation import normalise_email

LOCAL = ZoneInfo("Europe/Oslo")
MAX_TITLE = 200
MAX_TEXT = 4000
MAX_CAPACITY = 10_000
PRIORITY = 5  # a resident is waiting for these (a place, the waiting list): ahead of sends
CALENDAR_FILE = "invitasjon.ics"
CALENDAR_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"


# ---------------------------------------------------------------------------- what emails say


@dataclass(frozen=True)
class SessionFacts:
    id: int
    label: str
    starts_at: datetime
    ends_at: datetime
    location: str
    capacity: int
    sequence: int = 0


@dataclass(frozen=True)
class EventFacts:
    """What an email or page about an event says; `session` and `state` for one resident's."""

    id: int
    title: str
    description: str
    location: str
    sessions: tuple[SessionFacts, ...]
    session: SessionFacts | None = None
    state: str | None = None


@dataclass(frozen=True)
class EventMail:
    """How event emails are written and addressed: `write(kind, language, facts)` gives the
    letter (mail/compose.py), with the placeholders `[[name]]`, `[[link]]`, `[[unsubscribe]]`."""

    write: Callable[[str, str, EventFacts], Letter]
    mailing: Mailing


def invite_token(key: ServerKey, salt: str) -> str:
    """The token of an invitation's link (`/delta/TOKEN`), from the salt on its row."""
    digest = key.digest("event-invite-link", salt.encode())
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def existing_invite_token(key: ServerKey, invite: EventInvite) -> str:
    """An invitation's token made again, by the key of the ring that made it first."""
    salt = invite.link_salt or ""
    return key.remade(lambda k: invite_token(k, salt), token_hash, invite.token_hash)


def call_token(key: ServerKey, salt: str) -> str:
    """The token of a call for volunteers' link (`/frivillig/TOKEN`)."""
    digest = key.digest("event-call-link", salt.encode())
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")


def token_hash(key: ServerKey, token: str) -> str:
    return key.mac("event", token)


def token_hashes(key: ServerKey, token: str) -> list[str]:
    """An incoming link's hash under each key of the ring, to look its row up by."""
    return key.macs("event", token)


def rsvp_link(base_url: str, token: str) -> str:
    return f"{base_url}/delta/{token}"


def call_link(base_url: str, token: str) -> str:
    return f"{base_url}/frivillig/{token}"


# ------------------------------------------------------------------------- events and sessions


def create_event(
    db: Database,
    *,
    actor: Actor,
    title: str,
    description: str = "",
    location: str = "",
    survey_id: int | None = None,
) -> int:
    actor.require(Role.admin, Role.editor)
    title, description, location = _event_text(title, description, location)
    with db.write() as session:
        if survey_id is not None and session.get(Survey, survey_id) is None:
            raise NotFound(f"no survey has the id {survey_id}")
        event = Event(
            title=title,
            description=description,
            location=location,
            survey_id=survey_id,
            created_by_name=actor.username,
        )
        session.add(event)
        session.flush()
        audit.record(
            session, actor=actor, action="event.created", target_kind="event", target_id=event.id
        )
        assert event.id is not None
        return event.id


def update_event(
    db: Database, *, actor: Actor, event_id: int, title: str, description: str, location: str
) -> None:
    actor.require(Role.admin, Role.editor)
    title, description, location = _event_text(title, description, location)
    with db.write() as session:
        event = get_event(session, event_id)
        event.title, event.description, event.location = title, description, location
        session.add(event)
        audit.record(
            session, actor=actor, action="event.changed", target_kind="event", target_id=event_id
        )


def set_status(db: Database, *, actor: Actor, event_id: int, status: str) -> None:
    """Close an event (its pages then say so and take no more answers), or open it again."""
    actor.require(Role.admin, Role.editor)
    if status not in tuple(EventStatus):
        raise Invalid("status", f"must be one of {', '.join(EventStatus)}")
    with db.write() as session:
        event = get_event(session, event_id)
        event.status = status
        session.add(event)
        audit.record(
            session, actor=actor, action=f"event.{status}", target_kind="event", target_id=event_id
        )


def add_session(
    db: Database,
    *,
    actor: Actor,
    event_id: int,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    label: str = "",
    location: str = "",
) -> int:
    actor.require(Role.admin, Role.editor)
    _check_session(starts_at, ends_at, capacity, label, location)
    with db.write() as session:
        get_event(session, event_id)
        row = EventSession(
            event_id=event_id,
            label=label.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            location=location.strip(),
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="event.session_added",
            target_kind="event",
            target_id=event_id,
            detail={"session": row.id},
        )
        assert row.id is not None
        return row.id


def update_session(
    db: Database,
    key: ServerKey,
    *,
    actor: Actor,
    session_id: int,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    label: str = "",
    location: str = "",
    mail: EventMail,
) -> int:
    """Change a session. Places cannot go below those already taken; new places go to its
    waiting list at once. Returns how many were given a place."""
    actor.require(Role.admin, Role.editor)
    _check_session(starts_at, ends_at, capacity, label, location)
    with db.write() as session:
        row = locked_session(session, db, session_id)
        taken = places_taken(session, session_id)
        if capacity < taken:
            raise Invalid("capacity", f"{taken} already have a place: it cannot be fewer")
        moved = (row.starts_at, row.ends_at, row.location) != (starts_at, ends_at, location.strip())
        row.starts_at, row.ends_at, row.capacity = starts_at, ends_at, capacity
        row.label, row.location = label.strip(), location.strip()
        if moved:
            row.sequence += 1
        session.add(row)
        session.flush()
        now = utcnow()
        if moved:  # those with a place hear of it, with the calendar entry updated
            _tell_of_change(session, key, row, mail, now)
        promoted = promote_waiting(session, key, row, mail, now)
        audit.record(
            session,
            actor=actor,
            action="event.session_changed",
            target_kind="event",
            target_id=row.event_id,
            detail={"session": session_id, "promoted": promoted},
        )
        return promoted


def _tell_of_change(
    session: Session, key: ServerKey, row: EventSession, mail: EventMail, now: datetime
) -> None:
    event = session.get_one(Event, row.event_id)
    for invite in session.exec(
        select(EventInvite).where(
            EventInvite.session_id == row.id, EventInvite.state == RsvpState.accepted
        )
    ):
        info = replace(facts(session, event, invite), state="changed")
        assert info.session is not None
        attachment = session_calendar(event, info.session, mail.mailing, None)
        queue_personal(session, key, invite, "event-place", info, mail, now, attachment)


def _event_text(title: str, description: str, location: str) -> tuple[str, str, str]:
    title = " ".join((title or "").split())
    if not title:
        raise Invalid("title", "an event needs a title")
    if len(title) > MAX_TITLE:
        raise Invalid("title", f"at most {MAX_TITLE} characters")
    if len(description or "") > MAX_TEXT:
        raise Invalid("description", f"at most {MAX_TEXT} characters")
    if len(location or "") > MAX_TITLE:
        raise Invalid("location", f"at most {MAX_TITLE} characters")
    return title, (description or "").strip(), (location or "").strip()


def _check_session(
    starts_at: datetime, ends_at: datetime, capacity: int, label: str, location: str
) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid("starts_at", "times must carry their time zone")
    if ends_at <= starts_at:
        raise Invalid("ends_at", "a session must end after it starts")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise Invalid("capacity", f"must be between 1 and {MAX_CAPACITY:,}")
    if len(label) > MAX_TITLE:
        raise Invalid("label", f"at most {MAX_TITLE} characters")
    if len(location) > MAX_TITLE:
        raise Invalid("location", f"at most {MAX_TITLE} characters")


def get_event(session: Session, event_id: int) -> Event:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(f"no event has the id {event_id}")
    return event


def locked_session(session: Session, db: Database, session_id: int) -> EventSession:
    """A session's row, locked until the transaction ends (SQLite's write lock is held already
    by `BEGIN IMMEDIATE`), so places are counted and taken one transaction at a time."""
    query = select(EventSession).where(EventSession.id == session_id)
    if not db.is_sqlite:
        query = query.with_for_update()
    row = session.exec(query).first()
    if row is None:
        raise NotFound(f"no session has the id {session_id}")
    return row


def places_taken(session: Session, session_id: int) -> int:
    return session.exec(
        select(func.count()).where(
            EventInvite.session_id == session_id, EventInvite.state == RsvpState.accepted
        )
    ).one()


# ------------------------------------------------------------------------------- what staff see


@dataclass(frozen=True)
class EventRow:
    id: int
    title: str
    location: str
    status: str
    sessions: int
    first_start: datetime | None
    volunteers: int
    invited: int
    accepted: int


@dataclass(frozen=True)
class SessionView:
    id: int
    label: str
    starts_at: datetime
    ends_at: datetime
    location: str
    capacity: int
    accepted: int
    waitlisted: int
    attended: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.accepted, 0)


@dataclass(frozen=True)
class InviteRow:
    id: int
    participant_id: int
    name: str
    state: str
    session_id: int | None
    attended: bool | None
    invited_at: datetime
    responded_at: datetime | None


@dataclass(frozen=True)
class DrawView:
    id: int
    method: str
    strata: tuple[str, ...]
    favour: bool
    seed: int
    pool: int
    chosen: int
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class EventView:
    id: int
    title: str
    description: str
    location: str
    status: str
    survey_id: int | None
    sessions: list[SessionView]
    asked: int  # sent a call for volunteers
    volunteers: int  # said yes, by any route
    draws: list[DrawView]
    invites: list[InviteRow]

    def count(self, state: str) -> int:
        return sum(1 for invite in self.invites if invite.state == state)


def list_events(db: Database, *, actor: Actor) -> list[EventRow]:
    """Every event, the newest first, with its numbers."""
    actor.require(Role.admin, Role.editor, Role.analyst)
    with db.read() as session:
        sessions = dict(
            session.exec(
                select(EventSession.event_id, func.count()).group_by(EventSession.event_id)
            ).all()
        )
        starts = dict(
            session.exec(
                select(EventSession.event_id, func.min(EventSession.starts_at)).group_by(
                    EventSession.event_id
                )
            ).all()
        )
        volunteers = dict(
            session.exec(
                select(EventVolunteer.event_id, func.count())
                .where(col(EventVolunteer.volunteered_at).is_not(None))
                .group_by(EventVolunteer.event_id)
            ).all()
        )
        states: dict[tuple[int, str], int] = {
            (event_id, state): n
            for event_id, state, n in session.exec(
                select(EventInvite.event_id, EventInvite.state, func.count()).group_by(
                    EventInvite.event_id, EventInvite.state
                )
            ).all()
        }
        events = session.exec(select(Event).order_by(col(Event.id).desc())).all()
        return [
            EventRow(
                id=event.id or 0,
                title=event.title,
                location=event.location,
                status=event.status,
                sessions=sessions.get(event.id, 0),
                first_start=starts.get(event.id),
                volunteers=volunteers.get(event.id, 0),
                invited=sum(
                    n for (e, s), n in states.items() if e == event.id and s != RsvpState.cancelled
                ),
                accepted=states.get((event.id or 0, RsvpState.accepted), 0),
            )
            for event in events
        ]


def event_view(db: Database, *, actor: Actor, event_id: int) -> EventView:
    """One event as staff work on it: sessions with their places, the call, the draws, and who
    was invited with their answers."""
    actor.require(Role.admin, Role.editor)
    with db.read() as session:
        event = get_event(session, event_id)
        per_session: dict[tuple[int | None, str], int] = {
            (sid, state): n
            for sid, state, n in session.exec(
                select(EventInvite.session_id, EventInvite.state, func.count())
                .where(EventInvite.event_id == event_id)
                .group_by(EventInvite.session_id, EventInvite.state)
            ).all()
        }
        came = dict(
            session.exec(
                select(EventInvite.session_id, func.count())
                .where(EventInvite.event_id == event_id, col(EventInvite.attended).is_(True))
                .group_by(EventInvite.session_id)
            ).all()
        )
        sessions = [
            SessionView(
                s.id or 0,
                s.label,
                s.starts_at,
                s.ends_at,
                s.location or event.location,
                s.capacity,
                per_session.get((s.id, RsvpState.accepted), 0),
                per_session.get((s.id, RsvpState.waitlisted), 0),
                came.get(s.id, 0),
            )
            for s in _sessions(session, event_id)
        ]
        asked, volunteered = session.exec(
            select(
                func.count(col(EventVolunteer.asked_at)),
                func.count(col(EventVolunteer.volunteered_at)),
            ).where(EventVolunteer.event_id == event_id)
        ).one()
        draws = [
            DrawView(
                d.id or 0,
                d.method,
                tuple(d.strata or ()),
                d.favour,
                d.seed,
                len(d.pool or []),
                len(d.chosen or []),
                d.created_at,
                d.created_by_name,
            )
            for d in session.exec(
                select(EventDraw).where(EventDraw.event_id == event_id).order_by(col(EventDraw.id))
            )
        ]
        invites = [
            InviteRow(
                i.id or 0,
                i.participant_id,
                name or "",
                i.state,
                i.session_id,
                i.attended,
                i.invited_at,
                i.responded_at,
            )
            for i, name in session.exec(
                select(EventInvite, Participant.name)
                .join(Participant, col(Participant.id) == EventInvite.participant_id)
                .where(EventInvite.event_id == event_id)
                .order_by(col(Participant.name), col(EventInvite.id))
            )
        ]
        return EventView(
            event.id or 0,
            event.title,
            event.description,
            event.location,
            event.status,
            event.survey_id,
            sessions,
            asked,
            volunteered,
            draws,
            invites,
        )


@dataclass(frozen=True)
class VolunteerRow:
    participant_id: int
    name: str
    age_band: str | None
    gender: str | None
    district: str | None
    source: str
    volunteered_at: datetime
    invited: bool


def volunteer_list(db: Database, *, actor: Actor, event_id: int) -> list[VolunteerRow]:
    """Who volunteered for an event, in the order they did."""
    actor.require(Role.admin, Role.editor)
    year = utcnow().year
    with db.read() as session:
        get_event(session, event_id)
        invited = set(
            session.exec(
                select(EventInvite.participant_id).where(EventInvite.event_id == event_id)
            ).all()
        )
        rows = session.exec(
            select(EventVolunteer, Participant)
            .join(Participant, col(Participant.id) == EventVolunteer.participant_id)
            .where(
                EventVolunteer.event_id == event_id,
                col(EventVolunteer.volunteered_at).is_not(None),
            )
            .order_by(col(EventVolunteer.volunteered_at), col(EventVolunteer.id))
        ).all()
        return [
            VolunteerRow(
                p.id or 0,
                p.name or "",
                age_band(p.birth_year, year),
                p.gender,
                p.district,
                v.source,
                v.volunteered_at or v.created_at,
                p.id in invited,
            )
            for v, p in rows
        ]


def _sessions(session: Session, event_id: int) -> list[EventSession]:
    return list(
        session.exec(
            select(EventSession)
            .where(EventSession.event_id == event_id)
            .order_by(col(EventSession.starts_at), col(EventSession.id))
        ).all()
    )


def facts(session: Session, event: Event, invite: EventInvite | None = None) -> EventFacts:
    """What an email or a page says about `event` (and, for `invite`, the resident's place)."""
    sessions = tuple(_session_facts(s, event) for s in _sessions(session, event.id or 0))
    chosen = next((s for s in sessions if invite and s.id == invite.session_id), None)
    return EventFacts(
        event.id or 0,
        event.title,
        event.description,
        event.location,
        sessions,
        chosen,
        invite.state if invite else None,
    )


def _session_facts(row: EventSession, event: Event) -> SessionFacts:
    return SessionFacts(
        row.id or 0,
        row.label,
        row.starts_at,
        row.ends_at,
        row.location or event.location,
        row.capacity,
        row.sequence,
    )


# ---------------------------------------------------------------------- volunteers: the call


def plan_call(db: Database, *, actor: Actor, event_id: int, selection: Selection) -> Plan:
    """Choose whom to ask to volunteer, as a survey send chooses (filters, sample, strata,
    the contact-frequency rule); those already asked, or already volunteers, are left out."""
    with db.read() as session:
        get_event(session, event_id)
    return plan_send(db, actor=actor, event_id=event_id, selection=selection)


def queue_call(
    db: Database, key: ServerKey, *, actor: Actor, event_id: int, plan: Plan, mail: EventMail
) -> Queued:
    """Ask the people `plan` chose to volunteer: their volunteer rows (asked, with a personal
    link), one email each, the batch with its seed, all in one transaction."""
    actor.require(Role.admin, Role.editor)
    now = utcnow()
    with db.write() as session:
        event = open_event(session, event_id)
        known = set(
            session.exec(
                select(EventVolunteer.participant_id).where(EventVolunteer.event_id == event_id)
            ).all()
        )
        people = [p for p in reachable_people(session, plan.chosen) if p[0] not in known]
        batch = new_batch(session, actor, event_id, "event-call", len(people), plan)
        letters = {
            lang: mail.write("event-call", lang, facts(session, event)) for lang in ("nb", "en")
        }
        stored = store_letters(session, batch, "event-call", letters, mail.mailing, link=LINK)
        volunteers, messages = [], []
        salts, uniques = new_salts(len(people)), new_salts(len(people))
        for person, salt, unique in zip(people, salts, uniques, strict=True):
            token = call_token(key, salt)
            volunteers.append(
                EventVolunteer(
                    event_id=event_id,
                    participant_id=person[0],
                    source="call",
                    link_salt=salt,
                    token_hash=token_hash(key, token),
                    asked_at=now,
                )
            )
            message = outbox_row(
                stored, mail.mailing, f"event-call:{event_id}:{person[0]}", person, unique
            )
            message["sealed"] = seal(key, {LINK: call_link(mail.mailing.base_url, token)})
            messages.append(message)
        session.add_all(volunteers)
        session.flush()
        write_batch(
            session,
            messages,
            {"event_id": event_id, "batch_id": batch.id, "created_at": now, "kind": "event-call"},
        )
        audit.record(
            session,
            actor=actor,
            action="event.call_queued",
            target_kind="event",
            target_id=event_id,
            detail={"batch": batch.id, "queued": len(messages), "seed": plan.seed},
        )
        return Queued(batch.id, len(messages), len(plan.chosen) - len(people))


def new_batch(
    session: Session, actor: Actor, event_id: int, kind: str, size: int, plan: Plan | None = None
) -> SendBatch:
    batch = SendBatch(
        event_id=event_id,
        kind=kind,
        seed=plan.seed if plan else None,
        criteria=plan.selection.criteria() if plan else None,
        summary=plan.summary() if plan else None,
        size=size,
        created_by=actor.id,
        created_by_name=actor.username,
    )
    session.add(batch)
    session.flush()
    return batch


def open_event(session: Session, event_id: int) -> Event:
    event = get_event(session, event_id)
    if event.status != EventStatus.open:
        raise Refused("the event is closed: open it again before writing to anyone about it")
    return event


# ------------------------------------------------------------- volunteers: a survey or by hand


@dataclass(frozen=True)
class VolunteerQuestion:
    key: str
    text: str
    options: tuple[str, ...]


def volunteer_questions(db: Database, *, actor: Actor, survey_id: int) -> list[VolunteerQuestion]:
    """The questions of an identified survey whose answers can make volunteers (single or
    multiple choice)."""
    actor.require(Role.admin, Role.editor)
    with db.read() as session:
        survey = session.get(Survey, survey_id)
        if survey is None:
            raise NotFound(f"no survey has the id {survey_id}")
        if survey.anonymous:
            raise Refused("the survey is anonymous: its answers cannot name volunteers")
        questions = session.exec(
            select(Question)
            .where(
                Question.survey_id == survey_id,
                col(Question.kind).in_([QuestionKind.single, QuestionKind.multiple]),
            )
            .order_by(col(Question.position))
        ).all()
        found = []
        for question in questions:
            labels = session.exec(
                select(Option.label)
                .where(Option.question_id == question.id)
                .order_by(col(Option.position))
            ).all()
            found.append(VolunteerQuestion(question.key, question.text, tuple(labels)))
        return found


def volunteers_from_survey(
    db: Database, *, actor: Actor, event_id: int, survey_id: int, question: str, option: str
) -> int:
    """Everyone who answered `option` to `question` of an identified survey becomes a
    volunteer (if still on the panel); returns how many were new."""
    actor.require(Role.admin, Role.editor)
    now = utcnow()
    with db.write() as session:
        get_event(session, event_id)
        survey = session.get(Survey, survey_id)
        if survey is None:
            raise NotFound(f"no survey has the id {survey_id}")
        if survey.anonymous:
            raise Refused("the survey is anonymous: its answers cannot name volunteers")
        found = session.exec(
            select(Question.id, Option.id)
            .join(Option, col(Option.question_id) == Question.id)
            .where(
                Question.survey_id == survey_id, Question.key == question, Option.label == option
            )
        ).first()
        if found is None:
            raise Invalid("option", f"the survey has no question {question!r} with {option!r}")
        question_id, option_id = found
        said_yes = set(
            session.exec(
                select(Response.participant_id)
                .join(Answer, col(Answer.response_id) == Response.id)
                .join(Participant, col(Participant.id) == Response.participant_id)
                .where(
                    Response.survey_id == survey_id,
                    Answer.question_id == question_id,
                    Answer.option_id == option_id,
                    Participant.status == ParticipantStatus.active,
                )
            ).all()
        )
        added = _add_volunteers(session, event_id, said_yes - {None}, f"survey:{survey_id}", now)
        audit.record(
            session,
            actor=actor,
            action="event.volunteers_added",
            target_kind="event",
            target_id=event_id,
            detail={"survey": survey_id, "question": question, "added": added},
        )
        return added


def add_volunteer(
    db: Database,
    *,
    actor: Actor,
    event_id: int,
    participant_id: int | None = None,
    email: str | None = None,
) -> bool:
    """Enter someone as a volunteer (they asked by phone, at a stand), by id or by email
    address; False if they were one already."""
    actor.require(Role.admin, Role.editor)
    with db.write() as session:
        get_event(session, event_id)
        if email is not None:
            _address, email_key = normalise_email(email[:320])
            found = session.exec(select(Participant).where(Participant.email_key == email_key))
            person = found.first()
        else:
            person = session.get(Participant, participant_id) if participant_id else None
        if person is None or person.status != ParticipantStatus.active or person.id is None:
            what = f"the address {email}" if email is not None else f"the id {participant_id}"
            raise NotFound(f"no active participant has {what}")
        added = _add_volunteers(session, event_id, {person.id}, "staff", utcnow())
        if added:
            audit.record(
                session,
                actor=actor,
                action="event.volunteer_added",
                target_kind="participant",
                target_id=person.id,
                detail={"event": event_id},
            )
        return bool(added)


def _add_volunteers(
    session: Session, event_id: int, people: set[int], source: str, now: datetime
) -> int:
    """Volunteers from `people`: new rows, or a yes on a call row not yet answered."""
    rows = {
        v.participant_id: v
        for v in session.exec(
            select(EventVolunteer).where(
                EventVolunteer.event_id == event_id,
                col(EventVolunteer.participant_id).in_(people),
            )
        )
    }
    added = 0
    for person_id in sorted(people):
        row = rows.get(person_id)
        if row is None:
            row = EventVolunteer(event_id=event_id, participant_id=person_id, source=source)
        elif row.volunteered_at is not None:
            continue
        row.volunteered_at, row.declined_at = now, None
        session.add(row)
        added += 1
    return added


# ------------------------------------------------------------------- invitations and places

# An invitation still open: not answered yet, a place, or a place in line.
OPEN_STATES = (RsvpState.invited, RsvpState.accepted, RsvpState.waitlisted)


def promote_waiting(
    session: Session, key: ServerKey, row: EventSession, mail: EventMail, now: datetime
) -> int:
    """Give free places in `row` (locked by the caller) to its waiting list, first come first
    served, and email each their place. Returns how many were promoted."""
    free = row.capacity - places_taken(session, row.id or 0)
    if free <= 0:
        return 0
    waiting = session.exec(
        select(EventInvite)
        .join(Participant, col(Participant.id) == EventInvite.participant_id)
        .where(
            EventInvite.session_id == row.id,
            EventInvite.state == RsvpState.waitlisted,
            Participant.status == ParticipantStatus.active,  # who left gives way to the next
        )
        .order_by(col(EventInvite.waitlisted_at), col(EventInvite.id))
        .limit(free)
    ).all()
    event = session.get_one(Event, row.event_id)
    for invite in waiting:
        invite.state, invite.responded_at = RsvpState.accepted, now
        session.add(invite)
        session.flush()
        queue_place_email(session, key, event, invite, mail, now, promoted=True)
        audit.record(
            session,
            actor=None,
            action="event.promoted",
            target_kind="participant",
            target_id=invite.participant_id,
            detail={"event": event.id, "session": row.id},
        )
    return len(waiting)


def withdraw_leaver(session: Session, participant_id: int, now: datetime) -> int:
    """In the caller's transaction: a resident who leaves the panel, pauses or is erased holds
    no workshop invitation still to come (a place, a place in line, or one not yet answered):
    their link no longer opens, and nothing more is written to them. The places go to the
    waiting lists at the worker's next round (`fill_free_places`). Returns how many."""
    rows = session.exec(
        select(EventInvite)
        .join(EventSession, col(EventSession.id) == EventInvite.session_id, isouter=True)
        .where(
            EventInvite.participant_id == participant_id,
            col(EventInvite.state).in_(OPEN_STATES),
            or_(col(EventInvite.session_id).is_(None), col(EventSession.starts_at) > now),
        )
    ).all()
    for invite in rows:
        invite.state, invite.responded_at, invite.waitlisted_at = RsvpState.cancelled, now, None
        session.add(invite)
    return len(rows)


def fill_free_places(
    db: Database, key: ServerKey, *, mail: EventMail, now: datetime | None = None
) -> int:
    """Give the free places of sessions still to come to their waiting lists, emailing each
    person promoted: places given up by residents who left the panel, say. Run by the worker's
    scheduled round; returns how many were promoted."""
    now = now or utcnow()
    promoted = 0
    with db.write() as session:
        waiting = (
            select(EventInvite.id)
            .where(
                EventInvite.session_id == EventSession.id,
                EventInvite.state == RsvpState.waitlisted,
            )
            .exists()
        )
        ids = session.exec(
            select(EventSession.id)
            .join(Event, col(Event.id) == EventSession.event_id)
            .where(Event.status == EventStatus.open, col(EventSession.starts_at) > now, waiting)
        ).all()
        for session_id in sorted(i for i in ids if i is not None):  # locks in id order
            row = locked_session(session, db, session_id)
            promoted += promote_waiting(session, key, row, mail, now)
    return promoted


def queue_place_email(
    session: Session,
    key: ServerKey,
    event: Event,
    invite: EventInvite,
    mail: EventMail,
    now: datetime,
    *,
    promoted: bool = False,
) -> None:
    """In the caller's transaction: tell a resident where they stand (a place, with the
    calendar file; or the waiting list)."""
    kind = "event-place"
    info = facts(session, event, invite)
    if promoted:
        info = replace(info, state="promoted")
    attachment = None
    if invite.state == RsvpState.accepted and info.session is not None:
        attachment = session_calendar(event, info.session, mail.mailing, invite_link=None)
    queue_personal(session, key, invite, kind, info, mail, now, attachment)


def queue_release_email(
    session: Session,
    key: ServerKey,
    event: Event,
    invite: EventInvite,
    released: EventSession,
    mail: EventMail,
    now: datetime,
    *,
    state: str,
) -> None:
    """In the caller's transaction: tell a resident that the place they held in `released` is
    no longer theirs (`state`: "declined", they said so; "withdrawn", staff did), with the
    session's calendar entry marked cancelled, so that their calendar can drop it."""
    info = replace(facts(session, event, invite), session=_session_facts(released, event),
                   state=state)  # fmt: skip
    assert info.session is not None
    attachment = session_calendar(event, info.session, mail.mailing, None, cancelled=True)
    queue_personal(session, key, invite, "event-place", info, mail, now, attachment)


def queue_personal(
    session: Session,
    key: ServerKey,
    invite: EventInvite,
    kind: str,
    info: EventFacts,
    mail: EventMail,
    now: datetime,
    attachment: dict[str, str] | None = None,
    dedupe: str | None = None,
) -> bool:
    """One email about an invitation to its resident, with their link sealed; False if they
    cannot be written to, or `dedupe` was queued before."""
    person = session.get(Participant, invite.participant_id)
    if (
        person is None
        or person.status != ParticipantStatus.active
        or person.undeliverable_at is not None
        or not person.email
        or not invite.link_salt
    ):
        return False
    unique = secrets.token_hex(12)
    dedupe = dedupe or f"{kind}:{invite.event_id}:{invite.participant_id}:{unique}"
    if session.exec(select(Message.id).where(Message.dedupe_key == dedupe)).first():
        return False
    language = person.language if person.language in ("nb", "en") else "nb"
    letter = mail.write(kind, language, info)
    subject, text, body_html = personal(
        letter.subject, letter.text, letter.html, {"name": person.name or ""}
    )
    links = {
        LINK: rsvp_link(mail.mailing.base_url, existing_invite_token(key, invite)),
        UNSUBSCRIBE: unsubscribe_link(key, mail.mailing.base_url, person.id or 0),
    }
    session.add(
        Message(
            dedupe_key=dedupe,
            kind=kind,
            participant_id=person.id,
            event_id=invite.event_id,
            to_address=person.email,
            subject=subject,
            body_text=text,
            body_html=body_html,
            headers={
                "From": mail.mailing.mail_from,
                "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            sealed=seal(key, links),
            attachments=[attachment] if attachment else None,
            status=MessageStatus.queued,
            priority=PRIORITY,
            message_id=f"<{kind}.{unique}@{mail.mailing.domain}>",
            created_at=now,
        )
    )
    person.last_contacted_at = now
    session.add(person)
    return True


def session_calendar(
    event: Event | EventFacts,
    session: SessionFacts,
    mailing: Mailing,
    invite_link: str | None,
    *,
    cancelled: bool = False,
) -> dict[str, str]:
    """A session as a calendar file to attach: one entry whose UID is the session's for good
    (`cancelled`: the same entry, marked cancelled)."""
    entry = calendar_entry(event, session, mailing, invite_link, cancelled=cancelled)
    return {"filename": CALENDAR_FILE, "content_type": CALENDAR_TYPE, "text": calendar([entry])}


def calendar_entry(
    event: Event | EventFacts,
    session: SessionFacts,
    mailing: Mailing,
    invite_link: str | None,
    *,
    cancelled: bool = False,
) -> CalendarEntry:
    return CalendarEntry(
        uid=f"panel-session-{session.id}@{mailing.domain}",
        title=event.title + (f" – {session.label}" if session.label else ""),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        location=session.location,
        description=event.description,
        url=invite_link or "",
        sequence=session.sequence,
        cancelled=cancelled,
    )


def cancel_invite(
    db: Database, key: ServerKey, *, actor: Actor, invite_id: int, mail: EventMail
) -> int:
    """Withdraw an invitation (the resident said so by phone, say). A place it held goes to the
    waiting list, and its holder gets an email saying so, with the calendar entry cancelled;
    returns how many were promoted."""
    actor.require(Role.admin, Role.editor)
    now = utcnow()
    with db.write() as session:
        invite = session.get(EventInvite, invite_id)
        if invite is None:
            raise NotFound(f"no invitation has the id {invite_id}")
        if invite.state == RsvpState.cancelled:
            raise Refused("the invitation was withdrawn already")
        row = locked_session(session, db, invite.session_id) if invite.session_id else None
        held = invite.state == RsvpState.accepted
        invite.state, invite.responded_at = RsvpState.cancelled, now
        session.add(invite)
        session.flush()
        promoted = 0
        if row is not None and held:
            event = session.get_one(Event, invite.event_id)
            queue_release_email(session, key, event, invite, row, mail, now, state="withdrawn")
            promoted = promote_waiting(session, key, row, mail, now)
        audit.record(
            session,
            actor=actor,
            action="event.invite_cancelled",
            target_kind="participant",
            target_id=invite.participant_id,
            detail={"event": invite.event_id, "promoted": promoted},
        )
        return promoted


def record_attendance(db: Database, *, actor: Actor, invite_id: int, attended: bool | None) -> None:
    """Afterwards: whether someone with a place came (None: not recorded)."""
    actor.require(Role.admin, Role.editor)
    with db.write() as session:
        invite = session.get(EventInvite, invite_id)
        if invite is None:
            raise NotFound(f"no invitation has the id {invite_id}")
        if invite.state != RsvpState.accepted or invite.session_id is None:
            raise Refused("only someone with a place in a session can be recorded as there")
        row = session.get_one(EventSession, invite.session_id)
        if row.starts_at > utcnow():
            raise Refused("the session has not started yet")
        invite.attended = attended
        session.add(invite)
        if attended:
            person = session.get(Participant, invite.participant_id)
            if person is not None and (person.last_contacted_at or row.starts_at) <= row.starts_at:
                person.last_contacted_at = row.starts_at
                session.add(person)
        audit.record(
            session,
            actor=actor,
            action="event.attendance",
            target_kind="participant",
            target_id=invite.participant_id,
            detail={"event": invite.event_id, "attended": attended},
        )


# ------------------------------------------------------------------ the reminder the day before


def queue_session_reminders(
    db: Database, key: ServerKey, *, mail: EventMail, now: datetime | None = None
) -> int:
    """Remind everyone with a place in a session that starts tomorrow (Norwegian time), once,
    with the calendar file. Run by the worker's scheduled round; returns how many were queued."""
    now = now or utcnow()
    tomorrow = now.astimezone(LOCAL).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), LOCAL)
    end = start + timedelta(days=1)
    queued = 0
    with db.write() as session:
        rows = session.exec(
            select(EventSession, Event)
            .join(Event, col(Event.id) == EventSession.event_id)
            .where(
                Event.status == EventStatus.open,
                col(EventSession.starts_at) >= start,
                col(EventSession.starts_at) < end,
            )
        ).all()
        for row, event in rows:
            invites = session.exec(
                select(EventInvite).where(
                    EventInvite.session_id == row.id, EventInvite.state == RsvpState.accepted
                )
            ).all()
            for invite in invites:
                info = facts(session, event, invite)
                assert info.session is not None
                attachment = session_calendar(event, info.session, mail.mailing, None)
                dedupe = f"event-reminder:{row.id}:{invite.participant_id}"
                queued += queue_personal(
                    session,
                    key,
                    invite,
                    "event-reminder",
                    info,
                    mail,
                    now,
                    attachment,
                    dedupe=dedupe,
                )
    return queued


__all__ = [
    "EventFacts",
    "EventMail",
    "EventRow",
    "EventView",
    "InviteRow",
    "SessionFacts",
    "SessionView",
    "VolunteerQuestion",
    "VolunteerRow",
    "add_session",
    "add_volunteer",
    "call_link",
    "call_token",
    "cancel_invite",
    "create_event",
    "event_view",
    "facts",
    "fill_free_places",
    "invite_token",
    "list_events",
    "plan_call",
    "queue_call",
    "queue_session_reminders",
    "record_attendance",
    "rsvp_link",
    "session_calendar",
    "set_status",
    "token_hash",
    "update_event",
    "update_session",
    "volunteer_list",
    "volunteer_questions",
    "volunteers_from_survey",
    "withdraw_leaver",
]
