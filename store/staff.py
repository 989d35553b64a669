"""Managing staff accounts: enrolment with TOTP, listing, disabling, and resetting a lost phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .auth import (
    hash_password,
    new_recovery_codes,
    new_totp_secret,
    provisioning_uri,
    recovery_code_hash,
)
from .db import Database
from .errors import Invalid, NotFound, PanelError
from .models import RecoveryCode, Role, Staff
from .secrets import ServerKey
from .timeutil import utcnow

USERNAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,31}")


@dataclass(frozen=True)
class Enrolment:
    """What a new or reset account's owner must be shown once, and never again."""

    username: str
    secret: str
    uri: str
    recovery_codes: list[str]


@dataclass(frozen=True)
class StaffSummary:
    id: int
    username: str
    role: Role
    disabled: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(name):
        raise Invalid(
            "username", "use 2–32 characters: a letter first, then letters, digits, . _ or -"
        )
    return name


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise Invalid("role", "must be admin, editor or analyst") from None


def create_staff(
    db: Database, key: ServerKey, *, actor: Actor, username: str, role: Role, password: str
) -> Enrolment:
    actor.require(Role.admin)
    name = normalise_username(username)
    password_hash = hash_password(password)
    secret = new_totp_secret()
    with db.write() as session:
        if session.exec(select(Staff).where(Staff.username == name)).first() is not None:
            raise Invalid("username", f"{name!r} is taken")
        staff = Staff(
            username=name,
            password_hash=password_hash,
            totp_secret_enc=key.encrypt(secret),
            role=role,
            password_changed_at=utcnow(),
        )
        session.add(staff)
        session.flush()
        codes = _replace_recovery_codes(session, key, staff)
        audit.record_staff(
            session, actor=actor, action="staff.created", staff=staff, role=role.value
        )
    return Enrolment(name, secret, provisioning_uri(secret, name), codes)


def count_admins(db: Database) -> int:
    with db.read() as session:
        return session.exec(
            select(func.count())
            .select_from(Staff)
            .where(Staff.role == Role.admin, col(Staff.disabled_at).is_(None))
        ).one()


def list_staff(db: Database, *, actor: Actor) -> list[StaffSummary]:
    actor.require(Role.admin)
    with db.read() as session:
        rows = session.exec(select(Staff).order_by(Staff.username)).all()
    return [
        StaffSummary(
            id=s.id or 0,
            username=s.username,
            role=Role(s.role),
            disabled=s.disabled_at is not None,
            locked_until=s.locked_until,
            last_login_at=s.last_login_at,
            created_at=s.created_at,
        )
        for s in rows
    ]


def disable_staff(db: Database, *, actor: Actor, username: str) -> None:
    actor.require(Role.admin)

    def disable(session: Session, staff: Staff) -> bool:
        if staff.disabled_at is not None:
            return False
        if staff.role == Role.admin and _active_admins(session) <= 1:
            raise PanelError("the last active admin cannot be disabled")
        staff.disabled_at = utcnow()
        return True

    _change(db, actor, username, "staff.disabled", disable)


def enable_staff(db: Database, *, actor: Actor, username: str) -> None:
    """Let a disabled or locked-out account log in again."""
    actor.require(Role.admin)

    def enable(_session: Session, staff: Staff) -> bool:
        staff.disabled_at = None
        staff.locked_until = None
        staff.failed_attempts = 0
        return True

    _change(db, actor, username, "staff.enabled", enable)


def reset_totp(db: Database, key: ServerKey, *, actor: Actor, username: str) -> Enrolment:
    """A new TOTP secret and new recovery codes; the old ones stop working at once."""
    actor.require(Role.admin)
    secret = new_totp_secret()
    codes: list[str] = []

    def reset(session: Session, staff: Staff) -> bool:
        staff.totp_secret_enc = key.encrypt(secret)
        staff.last_totp_step = None
        codes.extend(_replace_recovery_codes(session, key, staff))
        return True

    name = _change(db, actor, username, "staff.totp_reset", reset)
    return Enrolment(name, secret, provisioning_uri(secret, name), codes)


def replace_recovery_codes(
    db: Database, key: ServerKey, *, actor: Actor, username: str
) -> list[str]:
    """New recovery codes, the TOTP secret kept (after a key's retirement deleted the old ones,
    or when the paper is lost); the unused old codes stop working at once."""
    actor.require(Role.admin)
    codes: list[str] = []

    def replace(session: Session, staff: Staff) -> bool:
        codes.extend(_replace_recovery_codes(session, key, staff))
        return True

    _change(db, actor, username, "staff.recovery_codes_replaced", replace)
    return codes


def set_password(db: Database, *, actor: Actor, username: str, password: str) -> None:
    """Admins set anyone's password; everyone may set their own."""
    if actor.username != username.strip().lower():
        actor.require(Role.admin)
    password_hash = hash_password(password)

    def change(_session: Session, staff: Staff) -> bool:
        staff.password_hash = password_hash
        staff.password_changed_at = utcnow()
        return True

    _change(db, actor, username, "staff.password_set", change)


def _change(
    db: Database,
    actor: Actor,
    username: str,
    action: str,
    change: Callable[[Session, Staff], bool],
) -> str:
    """Apply `change` to one account and audit it, in one transaction; returns the username."""
    with db.write() as session:
        staff = _get(session, username)
        if change(session, staff):
            session.add(staff)
            audit.record_staff(session, actor=actor, action=action, staff=staff)
        return staff.username


def _get(session: Session, username: str) -> Staff:
    staff = session.exec(
        select(Staff).where(Staff.username == username.strip().lower()).with_for_update()
    ).first()
    if staff is None:
        raise NotFound(f"no staff member is called {username!r}")
    return staff


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count())
        .select_from(Staff)
        .where(Staff.role == Role.admin, col(Staff.disabled_at).is_(None))
    ).one()


def _replace_recovery_codes(session: Session, key: ServerKey, staff: Staff) -> list[str]:
    for old in session.exec(select(RecoveryCode).where(RecoveryCode.staff_id == staff.id)):
        session.delete(old)
    codes = new_recovery_codes()
    for code in codes:
        session.add(RecoveryCode(staff_id=staff.id, code_hash=recovery_code_hash(key, code)))
    return codes
