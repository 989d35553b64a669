"""Joining the panel from the residents' site, with double opt-in, and a resident's own access
to what the panel holds about them.

Sign-up writes a *pending* participant and queues a confirmation email; the link in it makes
them an active member. Unconfirmed sign-ups are deleted after `CONFIRM_DAYS`. Signing up with
an address already on the panel changes nothing and sends that address a notice instead, with
a link to its data: the page answers the same either way, so the form never tells a stranger
who is a member.

The links these emails carry are signed, not stored: `{participant}.{expiry}.{mac}`, where the
MAC (under the server key) covers the purpose, the participant, the expiry and the address.
So nothing in the database would let anyone confirm or read for a resident, a link dies when
it expires, and a link for one address never opens another's record. In the outbox the link is
sealed (store/sealing.py) until the email is sent.

Every email here counts against a limit per address (`EMAILS_PER_DAY`), so the form cannot be
used to flood someone's inbox.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid
from .history import held_about
from .models import (
    Message,
    MessageStatus,
    Participant,
    ParticipantInterest,
    ParticipantStatus,
    RecruitmentChannel,
)
from .participants import known_districts, known_interests, set_interests
from .privacy import ErasureResult, erase_participant
from .sealing import LINK, seal
from .secrets import ServerKey
from .sending import Letter, personal
from .timeutil import utcnow
from .validation import OLDEST_AGE, normalise_email, parse_gender

CONFIRM_DAYS = 7  # an unconfirmed sign-up is deleted after this
ACCESS_HOURS = 24  # a "my data" link works this long
EMAILS_PER_DAY = 3  # sign-up and access emails to one address in any 24 hours
YOUNGEST_MEMBER = 16  # the panel is for residents aged 16 and over
MAX_NAME = 200
MAX_SOURCE = 60
PRIORITY = 5  # a resident is waiting for these: ahead of survey sends
KINDS = ("confirmation", "member-notice", "access")
OTHER_SOURCE = "annet"  # "somewhere else": always offered


class Purpose(StrEnum):
    confirm = "confirm"
    access = "access"


@dataclass(frozen=True)
class SignupForm:
    """What a resident typed, as posted: nothing checked yet."""

    name: str = ""
    email: str = ""
    gender: str = ""
    birth_year: str = ""
    district: str = ""
    interests: tuple[str, ...] = ()
    source: str = ""
    consent: bool = False
    language: str = "nb"


@dataclass(frozen=True)
class SignupChoices:
    """The lists the sign-up form offers: districts, interests, and where one heard of it."""

    districts: list[str]
    interests: list[str]
    sources: list[tuple[str, str]]  # (code, label), the channels staff made, newest first


class SignupInvalid(Exception):
    """The form's problems, by field: a short code the page words in the resident's language
    (missing, invalid, too_young, too_old, unknown)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Emails:
    """The letters sign-up may send, in the resident's language, with `[[link]]` for the link,
    and the sender and site they go out from."""

    confirmation: Letter
    member_notice: Letter
    access: Letter
    mail_from: str
    base_url: str


class LinkOutcome(StrEnum):
    confirmed = "confirmed"  # now a member (or a member again)
    already = "already"  # was a member already: nothing to do
    expired = "expired"
    unknown = "unknown"


@dataclass(frozen=True)
class Holder:
    """Whom a valid "my data" link belongs to, and everything held about them."""

    participant_id: int
    language: str
    data: dict = field(repr=False)


def signup_choices(db: Database) -> SignupChoices:
    with db.read() as session:
        channels = session.exec(
            select(RecruitmentChannel.code, RecruitmentChannel.label).order_by(
                col(RecruitmentChannel.id).desc()
            )
        ).all()
        return SignupChoices(
            known_districts(session), known_interests(session), [(c, lbl) for c, lbl in channels]
        )


def check_signup(choices: SignupChoices, form: SignupForm, *, year: int) -> dict:
    """The form's values as stored, or SignupInvalid naming every field that is wrong."""
    problems: dict[str, str] = {}
    values: dict = {}
    name = " ".join(form.name.split())
    if not name:
        problems["name"] = "missing"
    elif len(name) > MAX_NAME or not name.isprintable():
        problems["name"] = "invalid"
    values["name"] = name
    try:
        values["email"], values["email_key"] = normalise_email(form.email[:320])
    except Invalid as problem:
        problems["email"] = "missing" if problem.reason == "is missing" else "invalid"
    try:
        values["gender"] = parse_gender(form.gender[:40])
    except Invalid:
        problems["gender"] = "invalid"
    if values.get("gender") is None and "gender" not in problems:
        problems["gender"] = "missing"
    born = form.birth_year.strip()
    if not born:
        problems["birth_year"] = "missing"
    elif not re.fullmatch(r"[0-9]{4}", born):
        problems["birth_year"] = "invalid"
    elif year - int(born) < YOUNGEST_MEMBER:
        problems["birth_year"] = "too_young"
    elif year - int(born) > OLDEST_AGE:
        problems["birth_year"] = "too_old"
    else:
        values["birth_year"] = int(born)
    if not form.district:
        problems["district"] = "missing"
    elif form.district not in choices.districts:
        problems["district"] = "unknown"
    values["district"] = form.district
    known = set(choices.interests)
    if any(interest not in known for interest in form.interests):
        problems["interests"] = "unknown"
    values["interests"] = sorted(set(form.interests) & known)
    codes = {code for code, _label in choices.sources} | {OTHER_SOURCE}
    if form.source and form.source not in codes:
        problems["source"] = "unknown"
    values["source"] = form.source or None
    if not form.consent:
        problems["consent"] = "missing"
    values["language"] = form.language if form.language in ("nb", "en") else "nb"
    if problems:
        raise SignupInvalid(problems)
    return values


def sign_up(
    db: Database, key: ServerKey, form: SignupForm, *, notice_version: str, emails: Emails
) -> None:
    """Take a sign-up: a new or still pending resident gets a confirmation email; one who left
    gets a link to come back; a member gets a notice. Raises SignupInvalid, and stores nothing,
    if the form is wrong. The caller shows the same page whatever happened."""
    choices = signup_choices(db)
    now = utcnow()
    values = check_signup(choices, form, year=now.year)
    interests = values.pop("interests")
    try:
        _sign_up(db, key, values, interests, notice_version, emails, now)
    except IntegrityError:  # the same address signed up at the same moment: it is there now
        _sign_up(db, key, values, interests, notice_version, emails, now)


def _sign_up(
    db: Database,
    key: ServerKey,
    values: dict,
    interests: list[str],
    notice_version: str,
    emails: Emails,
    now: datetime,
) -> None:
    with db.write() as session:
        person = session.exec(
            select(Participant).where(Participant.email_key == values["email_key"])
        ).first()
        if person is None or person.status == ParticipantStatus.pending:
            if person is None:
                person = Participant(status=ParticipantStatus.pending)
            for name, value in values.items():
                setattr(person, name, value)
            person.consent_version, person.consent_at = notice_version, now
            person.consent_note = "signed up on the residents' site"
            person.updated_at = now
            session.add(person)
            session.flush()
            assert person.id is not None
            set_interests(session, person.id, interests)
            action, kind, letter = "participant.signed_up", "confirmation", emails.confirmation
        elif person.status == ParticipantStatus.unsubscribed:
            action, kind, letter = "participant.rejoin_asked", "confirmation", emails.confirmation
        else:  # a member already (active or paused): tell them, change nothing
            action, kind, letter = "participant.signup_again", "member-notice", emails.member_notice
        assert person.id is not None
        audit.record(
            session,
            actor=Actor.resident(person.id),
            action=action,
            target_kind="participant",
            target_id=person.id,
        )
        purpose = Purpose.confirm if kind == "confirmation" else Purpose.access
        _queue(session, key, person, kind, letter, purpose, emails, now)


def request_access(db: Database, key: ServerKey, email: str, *, emails: Emails) -> None:
    """Email a "my data" link to `email` if it belongs to someone on the panel; nothing
    otherwise. Invalid if the address itself is not one."""
    _address, email_key = normalise_email(email[:320])
    now = utcnow()
    with db.write() as session:
        person = session.exec(select(Participant).where(Participant.email_key == email_key)).first()
        if person is None or person.status == ParticipantStatus.erased:
            return
        _queue(session, key, person, "access", emails.access, Purpose.access, emails, now)


def confirm(db: Database, key: ServerKey, token: str, *, notice_version: str) -> LinkOutcome:
    """Follow a confirmation link: a pending resident becomes a member; one who had left joins
    again, consenting to the notice as it is now."""
    now = utcnow()
    with db.write() as session:
        person, outcome = _holder(session, key, Purpose.confirm, token, now)
        if person is None:
            return outcome
        if person.status not in (ParticipantStatus.pending, ParticipantStatus.unsubscribed):
            return LinkOutcome.already
        before = person.status
        if before == ParticipantStatus.unsubscribed:
            person.consent_version, person.consent_at = notice_version, now
            person.consent_note = "joined again from the residents' site"
        person.status = ParticipantStatus.active
        person.confirmed_at = now
        person.updated_at = now
        session.add(person)
        audit.record(
            session,
            actor=Actor.resident(person.id or 0),
            action="participant.confirmed",
            target_kind="participant",
            target_id=person.id,
            detail={"from": before},
        )
        return LinkOutcome.confirmed


def confirmable(db: Database, key: ServerKey, token: str) -> LinkOutcome:
    """What following a confirmation link would do, without doing it (for the page before the
    button: mail scanners that open links must not confirm anyone)."""
    with db.read() as session:
        person, outcome = _holder(session, key, Purpose.confirm, token, utcnow())
        if person is None:
            return outcome
        if person.status in (ParticipantStatus.pending, ParticipantStatus.unsubscribed):
            return LinkOutcome.confirmed
        return LinkOutcome.already


def my_data(db: Database, key: ServerKey, token: str) -> Holder | LinkOutcome:
    """Everything held about the holder of a "my data" link, or why the link opens nothing.
    The viewing is audited."""
    now = utcnow()
    with db.write() as session:
        person, outcome = _holder(session, key, Purpose.access, token, now)
        if person is None or person.status == ParticipantStatus.erased:
            return outcome if person is None else LinkOutcome.unknown
        assert person.id is not None
        data = held_about(session, person)
        audit.record(
            session,
            actor=Actor.resident(person.id),
            action="participant.access_viewed",
            target_kind="participant",
            target_id=person.id,
        )
        return Holder(person.id, person.language or "nb", data)


def erase_mine(db: Database, key: ServerKey, token: str) -> ErasureResult | LinkOutcome:
    """Erase the holder of a "my data" link, as staff would (store/privacy.py)."""
    with db.read() as session:
        person, outcome = _holder(session, key, Purpose.access, token, utcnow())
        if person is None or person.status == ParticipantStatus.erased:
            return outcome if person is None else LinkOutcome.unknown
        participant_id = person.id or 0
    return erase_participant(
        db, actor=Actor.resident(participant_id), participant_id=participant_id
    )


def expire_signups(db: Database, *, now: datetime | None = None) -> int:
    """Delete sign-ups not confirmed within `CONFIRM_DAYS`, with their emails; how many."""
    cutoff = (now or utcnow()) - timedelta(days=CONFIRM_DAYS)
    with db.write() as session:
        ids = list(
            session.exec(
                select(Participant.id).where(
                    col(Participant.status) == ParticipantStatus.pending,
                    col(Participant.confirmed_at).is_(None),
                    col(Participant.consent_at) < cutoff,
                )
            )
        )
        if not ids:
            return 0
        for table, column in (
            (Message, Message.participant_id),
            (ParticipantInterest, ParticipantInterest.participant_id),
            (Participant, Participant.id),
        ):
            session.execute(delete(table).where(col(column).in_(ids)))
        audit.record(
            session,
            actor=Actor.schedule(),
            action="participant.signups_expired",
            target_kind="participant",
            detail={"count": len(ids)},
        )
        return len(ids)


# Links ----------------------------------------------------------------------------------------


def resident_token(
    key: ServerKey, purpose: Purpose, participant_id: int, email_key: str, expires: datetime
) -> str:
    stamp = int(expires.timestamp())
    return f"{participant_id}.{stamp}.{_mac(key, purpose, participant_id, stamp, email_key)}"


def _mac(key: ServerKey, purpose: Purpose, participant_id: int, stamp: int, email: str) -> str:
    return key.mac(f"resident-{purpose.value}", _signed(participant_id, stamp, email))[:32]


def _signed(participant_id: int, stamp: int, email: str) -> str:
    return f"{participant_id}:{stamp}:{email}"


def _holder(
    session: Session, key: ServerKey, purpose: Purpose, token: str, now: datetime
) -> tuple[Participant | None, LinkOutcome]:
    """The participant a link is for, or None and why not."""
    match = re.fullmatch(r"([0-9]{1,18})\.([0-9]{1,12})\.([A-Za-z0-9_-]{32})", token or "")
    if not match:
        return None, LinkOutcome.unknown
    participant_id, stamp, mac = int(match[1]), int(match[2]), match[3]
    person = session.get(Participant, participant_id)
    if person is None or not person.email_key:
        return None, LinkOutcome.unknown
    signed = _signed(participant_id, stamp, person.email_key)
    if not key.mac_ok(f"resident-{purpose.value}", signed, mac, length=32):
        return None, LinkOutcome.unknown
    if stamp < now.timestamp():
        return None, LinkOutcome.expired
    return person, LinkOutcome.confirmed


def _queue(
    session: Session,
    key: ServerKey,
    person: Participant,
    kind: str,
    letter: Letter,
    purpose: Purpose,
    emails: Emails,
    now: datetime,
) -> None:
    """Queue one email with its sealed link, unless the address had its share today."""
    assert person.id is not None and person.email_key
    recent = session.exec(
        select(func.count()).where(
            col(Message.participant_id) == person.id,
            col(Message.kind).in_(KINDS),
            col(Message.created_at) > now - timedelta(days=1),
        )
    ).one()
    if recent >= EMAILS_PER_DAY:
        return
    lifetime = (
        timedelta(days=CONFIRM_DAYS)
        if purpose == Purpose.confirm
        else timedelta(hours=ACCESS_HOURS)
    )
    token = resident_token(key, purpose, person.id, person.email_key, now + lifetime)
    path = "bekreft" if purpose == Purpose.confirm else "mine-data"
    subject, text, body_html = personal(
        letter.subject, letter.text, letter.html, {"name": person.name or ""}
    )
    domain = parseaddr(emails.mail_from)[1].rpartition("@")[2] or "localhost"
    unique = secrets.token_hex(12)
    session.add(
        Message(
            dedupe_key=f"{kind}:{person.id}:{unique}",
            kind=kind,
            participant_id=person.id,
            to_address=person.email,
            subject=subject,
            body_text=text,
            body_html=body_html,
            headers={"From": emails.mail_from},
            sealed=seal(key, {LINK: f"{emails.base_url}/{path}/{token}"}),
            status=MessageStatus.queued,
            priority=PRIORITY,
            message_id=f"<{kind}.{unique}@{domain}>",
            created_at=now,
        )
    )
