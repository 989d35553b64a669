"""Staff login: every factor, replay, drift, lockout, recovery codes and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from store.auth import LOCK_DURATION, MAX_FAILED_ATTEMPTS, authenticate, confirm_code
from store.errors import LoginFailed
from store.models import AuditEvent, Staff
from store.roles import Role
from tests.factories import PASSWORD, actor_for, code_at, make_staff

NOW = datetime(2026, 11, 26, 12, 0, 10, tzinfo=UTC)  # 10 s into a 30 s step
STEP = timedelta(seconds=30)


def login(db, key, code, *, password=PASSWORD, username="kari", now=NOW):
    return authenticate(db, key, username=username, password=password, code=code, now=now)


def audit_actions(db) -> list[str]:
    with db.read() as session:
        return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))))


def test_right_password_and_code_log_in(db, key):
    enrolment = make_staff(db, key, role=Role.editor)
    actor = login(db, key, code_at(enrolment, NOW))
    assert (actor.username, actor.role) == ("kari", Role.editor)
    assert audit_actions(db)[-1] == "login.ok"


def test_username_is_case_insensitive(db, key):
    enrolment = make_staff(db, key)
    assert login(db, key, code_at(enrolment, NOW), username=" Kari ").username == "kari"


def test_wrong_password_fails_with_the_same_message_as_a_wrong_code(db, key):
    enrolment = make_staff(db, key)
    with pytest.raises(LoginFailed) as wrong_password:
        login(db, key, code_at(enrolment, NOW), password="not the password")
    with pytest.raises(LoginFailed) as wrong_code:
        login(db, key, "000000" if code_at(enrolment, NOW) != "000000" else "111111")
    with pytest.raises(LoginFailed) as unknown_user:
        login(db, key, code_at(enrolment, NOW), username="nobody")
    assert str(wrong_password.value) == str(wrong_code.value) == str(unknown_user.value)


def test_a_code_is_accepted_once_only(db, key):
    enrolment = make_staff(db, key)
    code = code_at(enrolment, NOW)
    login(db, key, code)
    with pytest.raises(LoginFailed):
        login(db, key, code, now=NOW + timedelta(seconds=5))
    # An earlier step's code is a replay too, even though it lies within the drift window.
    with pytest.raises(LoginFailed):
        login(db, key, code_at(enrolment, NOW - STEP), now=NOW + timedelta(seconds=5))
    # The next step's code works.
    login(db, key, code_at(enrolment, NOW + STEP), now=NOW + STEP)


@pytest.mark.parametrize("offset", [-1, 1])
def test_one_step_of_drift_is_accepted(db, key, offset):
    enrolment = make_staff(db, key)
    login(db, key, code_at(enrolment, NOW + offset * STEP))


@pytest.mark.parametrize("offset", [-2, 2])
def test_two_steps_of_drift_are_rejected(db, key, offset):
    enrolment = make_staff(db, key)
    with pytest.raises(LoginFailed):
        login(db, key, code_at(enrolment, NOW + offset * STEP))


def test_five_failures_lock_the_account_for_fifteen_minutes(db, key):
    enrolment = make_staff(db, key)
    for attempt in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(LoginFailed):
            login(db, key, "123456", password="wrong password!", now=NOW + attempt * STEP)
    locked_at = NOW + (MAX_FAILED_ATTEMPTS - 1) * STEP
    # Locked: even the right password and a fresh code fail.
    later = locked_at + timedelta(minutes=14)
    with pytest.raises(LoginFailed):
        login(db, key, code_at(enrolment, later), now=later)
    assert "login.locked" in audit_actions(db)
    # After the lock expires the right factors work again.
    expired = locked_at + LOCK_DURATION + timedelta(seconds=1)
    assert login(db, key, code_at(enrolment, expired), now=expired).username == "kari"


def test_a_success_resets_the_failure_count(db, key):
    enrolment = make_staff(db, key)
    for attempt in range(MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(LoginFailed):
            login(db, key, "123456", password="wrong password!", now=NOW + attempt * STEP)
    t = NOW + 4 * STEP
    login(db, key, code_at(enrolment, t), now=t)
    with pytest.raises(LoginFailed):
        login(db, key, "123456", password="wrong password!", now=t + STEP)
    t2 = t + 2 * STEP
    login(db, key, code_at(enrolment, t2), now=t2)  # one failure does not lock


def test_recovery_code_works_once(db, key):
    enrolment = make_staff(db, key)
    recovery = enrolment.recovery_codes[3]
    assert login(db, key, recovery.upper()).username == "kari"
    with pytest.raises(LoginFailed):
        login(db, key, recovery, now=NOW + STEP)
    assert login(db, key, enrolment.recovery_codes[4], now=NOW + STEP).username == "kari"


def test_disabled_account_cannot_log_in(db, key):
    from store.actors import Actor
    from store.staff import disable_staff

    make_staff(db, key, "admin2")
    enrolment = make_staff(db, key)
    disable_staff(db, actor=Actor.operator(), username="kari")
    with pytest.raises(LoginFailed):
        login(db, key, code_at(enrolment, NOW))


def test_unknown_username_is_audited_without_what_was_typed(db, key):
    make_staff(db, key)
    with pytest.raises(LoginFailed):
        login(db, key, "123456", username="my-secret-password-typed-here")
    with db.read() as session:
        event = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    assert event is not None and event.action == "login.failed"
    assert "my-secret-password" not in str(event.detail)


def test_unlock_needs_a_fresh_code(db, key):
    enrolment = make_staff(db, key)
    code = code_at(enrolment, NOW)
    login(db, key, code)
    actor = actor_for(db, "kari")
    assert not confirm_code(db, key, actor=actor, code=code, now=NOW)  # replay
    later = NOW + STEP
    assert confirm_code(db, key, actor=actor, code=code_at(enrolment, later), now=later)


def test_totp_secret_never_appears_in_the_database_file(sqlite_db, key):
    enrolment = make_staff(sqlite_db, key)
    login(sqlite_db, key, code_at(enrolment, NOW))
    sqlite_db.dispose()  # checkpoint the WAL into the main file
    raw = sqlite_db.sqlite_path.read_bytes()
    wal = sqlite_db.sqlite_path.with_name("panel.db-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    assert enrolment.secret.encode() not in raw
    assert enrolment.secret.lower().encode() not in raw
    for code in enrolment.recovery_codes:
        assert code.encode() not in raw
    assert b"correct horse" not in raw


def test_secret_is_stored_encrypted_and_readable_with_the_key_only(db, key):
    from store.secrets import ServerKey, ServerKeyError

    enrolment = make_staff(db, key)
    with db.read() as session:
        stored = session.exec(select(Staff.totp_secret_enc)).one()
    assert key.decrypt(stored) == enrolment.secret
    with pytest.raises(ServerKeyError):
        ServerKey.generate().decrypt(stored)
