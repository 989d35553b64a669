"""Participants: reference lists for checking them, and the operations on one or many."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid, NotFound
from .models import Interest, Participant, ParticipantInterest, ParticipantStatus, PopulationCell
from .reference import BAERUM_DISTRICTS
from .roles import Role
from .timeutil import utcnow
from .validation import (
    match_name,
    normalise_email,
    parse_birth_year,
    parse_gender,
    parse_language,
)


def known_districts(session: Session) -> list[str]:
    """The districts in the loaded population table, or Bærum's when none is loaded yet."""
    loaded = session.exec(select(PopulationCell.district).distinct()).all()
    return sorted(loaded) if loaded else list(BAERUM_DISTRICTS)


def known_interests(session: Session) -> list[str]:
    return list(session.exec(select(Interest.name).order_by(Interest.name)))


@dataclass(frozen=True)
class ParticipantInput:
    """One participant's fields as typed by staff; checked by `create_participant` and friends."""

    name: str
    email: str
    gender: str = ""
    birth_year: str = ""
    district: str = ""
    interests: tuple[str, ...] = ()
    language: str = "nb"
    source: str = ""


@dataclass(frozen=True)
class ParticipantDetail:
    id: int
    fields: ParticipantInput
    status: str
    consent: str
    created_at: datetime
    confirmed_at: datetime | None
    last_contacted_at: datetime | None


# Which status changes staff may make by hand; erasure has its own operation.
STATUS_CHANGES = {
    ParticipantStatus.active: {"paused", "unsubscribed", "pending"},
    ParticipantStatus.paused: {"active", "unsubscribed"},
    ParticipantStatus.unsubscribed: {"active", "paused"},
    ParticipantStatus.pending: {"active", "unsubscribed"},
}


def get_participant(db: Database, *, actor: Actor, participant_id: int) -> ParticipantDetail:
    actor.require(Role.admin, Role.editor)
    with db.read() as session:
        person = existing_participant(session, participant_id)
        interests = interest_names(session, participant_id)
    return ParticipantDetail(
        id=participant_id,
        fields=ParticipantInput(
            name=person.name or "",
            email=person.email or "",
            gender=person.gender or "",
            birth_year=str(person.birth_year or ""),
            district=person.district or "",
            interests=tuple(interests),
            language=person.language,
            source=person.source or "",
        ),
        status=person.status,
        consent=" ".join(filter(None, [person.consent_version, person.consent_note])),
        created_at=person.created_at,
        confirmed_at=person.confirmed_at,
        last_contacted_at=person.last_contacted_at,
    )


def create_participant(db: Database, *, actor: Actor, data: ParticipantInput) -> int:
    """Register a resident by hand (say, from a paper form): active at once, consent noted."""
    actor.require(Role.admin, Role.editor)
    now = utcnow()
    with db.write() as session:
        values, interests = _checked(session, data, exclude_id=None)
        person = Participant(
            **values,
            status=ParticipantStatus.active,
            consent_version="staff",
            consent_at=now,
            consent_note=f"registered by staff ({actor.username})",
            confirmed_at=now,
            updated_at=now,
        )
        session.add(person)
        session.flush()
        assert person.id is not None
        set_interests(session, person.id, interests)
        audit.record(
            session,
            actor=actor,
            action="participant.created",
            target_kind="participant",
            target_id=person.id,
        )
        return person.id


def update_participant(
    db: Database, *, actor: Actor, participant_id: int, data: ParticipantInput
) -> None:
    actor.require(Role.admin, Role.editor)
    with db.write() as session:
        person = existing_participant(session, participant_id)
        values, interests = _checked(session, data, exclude_id=participant_id)
        changed = [field for field, value in values.items() if getattr(person, field) != value]
        for field in changed:
            setattr(person, field, values[field])
        if sorted(interest_names(session, participant_id)) != sorted(interests):
            set_interests(session, participant_id, interests)
            changed.append("interests")
        if not changed:
            return
        person.updated_at = utcnow()
        session.add(person)
        # Field names only: the audit log never holds the values, which are personal data.
        audit.record(
            session,
            actor=actor,
            action="participant.updated",
            target_kind="participant",
            target_id=participant_id,
            detail={"fields": sorted(changed)},
        )


def set_status(db: Database, *, actor: Actor, participant_id: int, status: str) -> None:
    actor.require(Role.admin, Role.editor)
    with db.write() as session:
        person = existing_participant(session, participant_id)
        allowed = STATUS_CHANGES.get(ParticipantStatus(person.status), set())
        if status not in allowed:
            raise Invalid("status", f"cannot go from {person.status} to {status}")
        before = person.status
        person.status = status
        person.updated_at = now = utcnow()
        session.add(person)
        detail: dict[str, object] = {"from": before, "to": status}
        if status != ParticipantStatus.active:
            from .events import withdraw_leaver  # the workshops' module, only when needed

            detail["workshop_invites_withdrawn"] = withdraw_leaver(session, participant_id, now)
        audit.record(
            session,
            actor=actor,
            action="participant.status",
            target_kind="participant",
            target_id=participant_id,
            detail=detail,
        )


def existing_participant(session: Session, participant_id: int) -> Participant:
    """The participant, unless there is none or they were erased (then NotFound)."""
    person = session.get(Participant, participant_id)
    if person is None or person.status == ParticipantStatus.erased:
        raise NotFound(f"no participant has the id {participant_id}")
    return person


def interest_names(session: Session, participant_id: int) -> list[str]:
    return list(
        session.exec(
            select(Interest.name)
            .join(ParticipantInterest, col(ParticipantInterest.interest_id) == Interest.id)
            .where(ParticipantInterest.participant_id == participant_id)
            .order_by(Interest.name)
        )
    )


def _checked(
    session: Session, data: ParticipantInput, *, exclude_id: int | None
) -> tuple[dict[str, object], list[str]]:
    name = " ".join(data.name.split())
    if not name:
        raise Invalid("name", "is missing")
    email, email_key = normalise_email(data.email)
    taken = session.exec(select(Participant.id).where(Participant.email_key == email_key)).first()
    if taken is not None and taken != exclude_id:
        raise Invalid("email", f"{email} is already on the panel")
    interests = [
        match_name("interest", interest, known_interests(session)) or ""
        for interest in data.interests
    ]
    values: dict[str, object] = {
        "name": name,
        "email": email,
        "email_key": email_key,
        "gender": parse_gender(data.gender),
        "birth_year": parse_birth_year(data.birth_year, this_year=utcnow().year),
        "district": match_name("district", data.district, known_districts(session)),
        "language": parse_language(data.language),
        "source": data.source.strip() or None,
    }
    return values, sorted(set(interests))


def set_interests(session: Session, participant_id: int, names: list[str]) -> None:
    for link in session.exec(
        select(ParticipantInterest).where(ParticipantInterest.participant_id == participant_id)
    ):
        session.delete(link)
    session.flush()
    if names:
        ids = session.exec(select(Interest.id).where(col(Interest.name).in_(names))).all()
        session.add_all(
            ParticipantInterest(participant_id=participant_id, interest_id=i) for i in ids
        )
