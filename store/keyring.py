"""Rotating the server key, and retiring the keys it replaced.

The key file holds a ring: the current key on its first line, the keys it replaced after it.
The current key makes everything new (tokens, hashes, encrypted TOTP secrets, sealed links);
every key of the ring is accepted when something is checked. So rotating breaks nothing: the
links in emails already sent, the recovery codes staff keep on paper and the forms open in a
browser go on working.

Rotating (`rotate`) re-encrypts the staff's TOTP secrets under the new key at once. Retiring
(`retire`), later, is what shuts the old key out:

- every personal link made under an old key is made anew under the current key (a new salt,
  so a new token): reminders carry the new link, and the old links in sent emails stop
  working, which is the point when a key has leaked;
- recovery codes made before the rotation are deleted, since they can be checked under an old
  key only; the staff they belonged to are named, to be given new ones;
- TOTP secrets are re-encrypted again, in case a process still running the old key enrolled
  someone after the rotation.

Retiring waits while emails with sealed links (workshop emails, sign-up confirmations) are
unsent: their links were made before the retirement and may be among those it makes anew. The
worker sends them within minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Refused
from .events import call_token, invite_token
from .events import token_hash as event_token_hash
from .links import invitation_token, new_salts, token_hash
from .models import (
    AuditEvent,
    Event,
    EventInvite,
    EventStatus,
    EventVolunteer,
    Invitation,
    Message,
    MessageStatus,
    RecoveryCode,
    Role,
    Staff,
    Survey,
    SurveyStatus,
)
from .secrets import ServerKey

ROTATED = "server-key.rotated"
RETIRED = "server-key.retired"
UNSENT = (MessageStatus.queued, MessageStatus.sending)


@dataclass(frozen=True)
class LinkKind:
    """A table of personal links: how its token is made from the salt, and hashed to be kept."""

    name: str
    model: Any
    make: Callable[[ServerKey, str], str]
    hash: Callable[[ServerKey, str], str]


LINKS = (
    LinkKind("survey", Invitation, invitation_token, token_hash),
    LinkKind("workshop", EventInvite, invite_token, event_token_hash),
    LinkKind("volunteer", EventVolunteer, call_token, event_token_hash),
)
LINKS_BY_NAME = {kind.name: kind for kind in LINKS}


@dataclass(frozen=True)
class KeyReport:
    """The ring, and what still rests on its previous keys (what retiring them would change)."""

    current: str  # key ids: short, and they give nothing away
    previous: tuple[str, ...]
    rotated_at: datetime | None  # the last rotation on record
    totp_secrets: int  # staff whose TOTP secret is encrypted under a previous key
    unsent: int  # unsent emails with sealed links: retiring waits for them
    links: dict[str, int]  # personal links made under a previous key, by kind
    live_links: dict[str, int]  # of those, the ones of surveys and workshops still open
    recovery_staff: tuple[str, ...]  # staff holding unused recovery codes from before then


@dataclass(frozen=True)
class Retired:
    retired: tuple[str, ...]  # the ids of the keys retired
    totp_secrets: int
    links: dict[str, int]
    recovery_staff: tuple[str, ...]


def key_report(db: Database, key: ServerKey, *, actor: Actor) -> KeyReport:
    actor.require(Role.admin)
    with db.read() as session:
        rotated_at = _last_rotation(session)
        links, live = _old_links(session, key)
        return KeyReport(
            current=key.key_id,
            previous=tuple(k.key_id for k in key.previous),
            rotated_at=rotated_at,
            totp_secrets=len(_old_totp(session, key)),
            unsent=_unsent_sealed(session),
            links={kind: len(ids) for kind, ids in links.items()},
            live_links=live,
            recovery_staff=_old_recovery(session, rotated_at)[1],
        )


def rotate(db: Database, key: ServerKey, *, actor: Actor, replaced: ServerKey) -> int:
    """After `key` (the new ring, already saved) took over from `replaced`: re-encrypt the TOTP
    secrets under the new key, and record the rotation. Returns how many were re-encrypted."""
    actor.require(Role.admin)
    with db.write() as session:
        count = _reencrypt(session, key)
        audit.record(
            session,
            actor=actor,
            action=ROTATED,
            detail={
                "current": key.key_id,
                "replaced": replaced.key_id,
                "previous": [k.key_id for k in key.previous],
                "totp_secrets": count,
            },
        )
    return count


def retire(db: Database, key: ServerKey, *, actor: Actor) -> Retired:
    """Leave nothing resting on the ring's previous keys, so that the key file can drop them."""
    actor.require(Role.admin)
    if not key.previous:
        raise Refused("there is no previous key to retire: the ring holds the current key only")
    with db.write() as session:
        unsent = _unsent_sealed(session)
        if unsent:
            raise Refused(
                f"{unsent} emails with personal links are not sent yet, and their links may be "
                "among those retiring makes anew: let the worker send them (panel worker), or "
                "cancel them, then retire the key"
            )
        totp = _reencrypt(session, key)
        links, _live = _old_links(session, key)
        for kind, ids in links.items():
            _remake(session, key, LINKS_BY_NAME[kind], ids)
        rotated_at = _last_rotation(session)
        codes, staff = _old_recovery(session, rotated_at)
        for code in codes:
            session.delete(code)
        retired = tuple(k.key_id for k in key.previous)
        counts = {kind: len(ids) for kind, ids in links.items()}
        audit.record(
            session,
            actor=actor,
            action=RETIRED,
            detail={
                "current": key.key_id,
                "retired": list(retired),
                "totp_secrets": totp,
                "links": counts,
                "recovery_codes_of": list(staff),
            },
        )
    return Retired(retired, totp, counts, staff)


# What rests on a previous key -------------------------------------------------------------------


def _old_totp(session: Session, key: ServerKey) -> list[Staff]:
    return [s for s in session.exec(select(Staff)) if not key.alone.can_decrypt(s.totp_secret_enc)]


def _reencrypt(session: Session, key: ServerKey) -> int:
    found = _old_totp(session, key)
    for staff in found:
        staff.totp_secret_enc = key.encrypt(key.decrypt(staff.totp_secret_enc))
        session.add(staff)
    return len(found)


def _unsent_sealed(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(Message)
        .where(col(Message.status).in_(UNSENT), col(Message.sealed).is_not(None))
    ).one()


def _old_links(session: Session, key: ServerKey) -> tuple[dict[str, list[int]], dict[str, int]]:
    """The ids of rows whose token was made under a previous key, by kind; and how many of them
    belong to a survey or workshop still open."""
    live_surveys = set(
        session.exec(select(Survey.id).where(Survey.status == SurveyStatus.open)).all()
    )
    open_events = set(session.exec(select(Event.id).where(Event.status == EventStatus.open)).all())
    found: dict[str, list[int]] = {}
    live: dict[str, int] = {}
    for kind in LINKS:
        model = kind.model
        is_survey = model is Invitation
        parent = model.survey_id if is_survey else model.event_id
        alive = live_surveys if is_survey else open_events
        rows = session.exec(
            select(model.id, model.link_salt, model.token_hash, parent).where(
                col(model.link_salt).is_not(None), col(model.token_hash).is_not(None)
            )
        ).all()
        old = [(row_id, owner) for row_id, salt, stored, owner in rows
               if _made_under_previous(key, kind, salt, stored)]  # fmt: skip
        found[kind.name] = [row_id for row_id, _owner in old]
        live[kind.name] = sum(1 for _row_id, owner in old if owner in alive)
    return found, live


def _made_under_previous(key: ServerKey, kind: LinkKind, salt: str, stored: str) -> bool:
    current = key.alone
    if kind.hash(current, kind.make(current, salt)) == stored:
        return False
    return any(kind.hash(old, kind.make(old, salt)) == stored for old in key.previous)


def _remake(session: Session, key: ServerKey, kind: LinkKind, ids: list[int]) -> None:
    """New salts, so new tokens, made under the current key, in one statement per kind."""
    current = key.alone
    rows = []
    for row_id, salt in zip(ids, new_salts(len(ids)), strict=True):
        stored = kind.hash(current, kind.make(current, salt))
        rows.append({"id": row_id, "link_salt": salt, "token_hash": stored})
    if rows:
        session.execute(update(kind.model), rows)


def _last_rotation(session: Session) -> datetime | None:
    return session.exec(
        select(AuditEvent.at)
        .where(AuditEvent.action == ROTATED)
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()


def _old_recovery(
    session: Session, rotated_at: datetime | None
) -> tuple[list[RecoveryCode], tuple[str, ...]]:
    """Unused recovery codes made before the last rotation, and whose they are."""
    if rotated_at is None:
        return [], ()
    codes = session.exec(
        select(RecoveryCode).where(
            col(RecoveryCode.used_at).is_(None), col(RecoveryCode.created_at) < rotated_at
        )
    ).all()
    ids = {code.staff_id for code in codes}
    names = session.exec(select(Staff.username).where(col(Staff.id).in_(ids))).all() if ids else []
    return list(codes), tuple(sorted(names))
