"""Staff login: Argon2id passwords, TOTP codes accepted once, recovery codes, and lockout."""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid, LoginFailed
from .models import RecoveryCode, Role, Staff
from .secrets import ServerKey
from .timeutil import utcnow

MIN_PASSWORD_LENGTH = 12
TOTP_STEP_SECONDS = 30
TOTP_DRIFT_STEPS = 1
MAX_FAILED_ATTEMPTS = 5
LOCK_DURATION = timedelta(minutes=15)
RECOVERY_CODE_COUNT = 10
ISSUER = "Innbyggerpanelet"
LOGIN_FAILED_MESSAGE = "Login failed. Check the username, password and code."

_hasher = PasswordHasher()  # Argon2id with the RFC 9106 low-memory parameters
_DUMMY_HASH = _hasher.hash("a password nobody has, for timing")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("password", f"must have at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password:
        raise Invalid("password", "must not start or end with a space")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step within the allowed drift whose code equals `code`, or None."""
    code = code.strip().replace(" ", "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    current = time_step(now)
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like `k7pq-x2mf-9hbt`, about 60 bits each."""

    def one() -> str:
        chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"

    return [one() for _ in range(RECOVERY_CODE_COUNT)]


def recovery_code_hash(key: ServerKey, code: str) -> str:
    return key.mac("recovery-code", _plain(code))


def recovery_code_hashes(key: ServerKey, code: str) -> list[str]:
    """The code's hash under each key of the ring (a code made before a rotation still works)."""
    return key.macs("recovery-code", _plain(code))


def _plain(code: str) -> str:
    return re.sub(r"[\s-]", "", code.lower())


@dataclass(frozen=True)
class _Outcome:
    actor: Actor | None
    reason: str


def authenticate(
    db: Database,
    key: ServerKey,
    *,
    username: str,
    password: str,
    code: str,
    now: datetime | None = None,
) -> Actor:
    """Check all three factors and return the actor, or raise `LoginFailed` without saying why.

    Every attempt is audited with its real reason, for admins to read.
    """
    now = now or utcnow()
    with db.write() as session:
        staff = session.exec(
            select(Staff).where(Staff.username == username.strip().lower()).with_for_update()
        ).first()
        outcome = _check(session, key, staff, password=password, code=code, now=now)
    if outcome.actor is None:
        raise LoginFailed(LOGIN_FAILED_MESSAGE)
    return outcome.actor


def _check(
    session: Session,
    key: ServerKey,
    staff: Staff | None,
    *,
    password: str,
    code: str,
    now: datetime,
) -> _Outcome:
    if staff is None:
        verify_password(_DUMMY_HASH, password)  # take as long as a real check
        audit.record(session, actor=None, action="login.failed", detail={"reason": "unknown user"})
        return _Outcome(None, "unknown user")
    actor = Actor(id=staff.id, username=staff.username, role=Role(staff.role))
    if staff.disabled_at is not None:
        return _fail(session, staff, actor, "account disabled", now, count=False)
    if staff.locked_until is not None and staff.locked_until > now:
        return _fail(session, staff, actor, "account locked", now, count=False)
    password_ok = verify_password(staff.password_hash, password)
    factor = _second_factor(session, key, staff, code, now) if password_ok else None
    if not password_ok:
        return _fail(session, staff, actor, "wrong password", now)
    if factor is None:
        return _fail(session, staff, actor, "wrong or reused code", now)
    staff.failed_attempts = 0
    staff.locked_until = None
    staff.last_login_at = now
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    session.add(staff)
    audit.record_staff(session, actor=actor, action="login.ok", staff=staff, factor=factor)
    return _Outcome(actor, "ok")


def _second_factor(
    session: Session, key: ServerKey, staff: Staff, code: str, now: datetime
) -> str | None:
    """Consume a TOTP step or a recovery code; return which, or None if neither matched."""
    step = matching_step(key.decrypt(staff.totp_secret_enc), code, now)
    if step is not None:
        if staff.last_totp_step is not None and step <= staff.last_totp_step:
            return None
        staff.last_totp_step = step
        return "totp"
    if len(code.strip()) < 12:
        return None
    recovery = session.exec(
        select(RecoveryCode).where(
            RecoveryCode.staff_id == staff.id,
            col(RecoveryCode.code_hash).in_(recovery_code_hashes(key, code)),
            RecoveryCode.used_at == None,  # noqa: E711
        )
    ).first()
    if recovery is None:
        return None
    recovery.used_at = now
    session.add(recovery)
    return "recovery code"


def _fail(
    session: Session, staff: Staff, actor: Actor, reason: str, now: datetime, *, count: bool = True
) -> _Outcome:
    if count:
        staff.failed_attempts += 1
        if staff.failed_attempts >= MAX_FAILED_ATTEMPTS:
            staff.failed_attempts = 0
            staff.locked_until = now + LOCK_DURATION
            audit.record_staff(
                session,
                actor=actor,
                action="login.locked",
                staff=staff,
                until=staff.locked_until.isoformat(),
            )
        session.add(staff)
    audit.record_staff(session, actor=actor, action="login.failed", staff=staff, reason=reason)
    return _Outcome(None, reason)


def confirm_code(
    db: Database, key: ServerKey, *, actor: Actor, code: str, now: datetime | None = None
) -> bool:
    """Unlock an idle session with a fresh TOTP code; failures count toward the lockout."""
    now = now or utcnow()
    with db.write() as session:
        staff = session.exec(select(Staff).where(Staff.id == actor.id).with_for_update()).first()
        if staff is None or staff.disabled_at is not None:
            return False
        if staff.locked_until is not None and staff.locked_until > now:
            _fail(session, staff, actor, "account locked", now, count=False)
            return False
        factor = _second_factor(session, key, staff, code, now)
        if factor is None:
            _fail(session, staff, actor, "wrong or reused code at unlock", now)
            return False
        staff.failed_attempts = 0
        session.add(staff)
        audit.record_staff(
            session, actor=actor, action="session.unlocked", staff=staff, factor=factor
        )
        return True
