"""Staff accounts: who may manage them, validation, and the audit trail of every change."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from store import staff
from store.actors import Actor
from store.errors import Invalid, NotFound, PanelError, PermissionDenied
from store.models import AuditEvent, RecoveryCode
from store.roles import Role
from tests.factories import PASSWORD, actor_for, make_staff


def last_audit(db) -> AuditEvent:
    with db.read() as session:
        event = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    assert event is not None
    return event


@pytest.mark.parametrize("role", [Role.editor, Role.analyst])
def test_only_admins_manage_staff(db, key, role):
    make_staff(db, key, "boss", Role.admin)
    make_staff(db, key, "someone", role)
    actor = actor_for(db, "someone")
    with pytest.raises(PermissionDenied):
        staff.list_staff(db, actor=actor)
    with pytest.raises(PermissionDenied):
        staff.create_staff(db, key, actor=actor, username="new", role=Role.admin, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        staff.disable_staff(db, actor=actor, username="boss")
    with pytest.raises(PermissionDenied):
        staff.reset_totp(db, key, actor=actor, username="boss")
    with pytest.raises(PermissionDenied):
        staff.set_password(db, actor=actor, username="boss", password=PASSWORD)
    # Everyone may set their own password.
    staff.set_password(db, actor=actor, username="someone", password="another good password")


def test_create_validates_username_and_password(db, key):
    operator = Actor.operator()
    with pytest.raises(Invalid, match="password"):
        staff.create_staff(
            db, key, actor=operator, username="ola", role=Role.editor, password="short"
        )
    with pytest.raises(Invalid, match="username"):
        staff.create_staff(
            db, key, actor=operator, username="x y", role=Role.editor, password=PASSWORD
        )
    make_staff(db, key, "ola")
    with pytest.raises(Invalid, match="taken"):
        staff.create_staff(
            db, key, actor=operator, username="OLA", role=Role.editor, password=PASSWORD
        )


def test_create_records_audit_and_ten_hashed_recovery_codes(db, key):
    enrolment = make_staff(db, key, "kari", Role.editor)
    assert enrolment.uri.startswith("otpauth://totp/")
    assert "kari" in enrolment.uri and enrolment.secret in enrolment.uri
    assert len(set(enrolment.recovery_codes)) == 10
    with db.read() as session:
        hashes = list(session.exec(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10
    assert not set(hashes) & set(enrolment.recovery_codes)
    event = last_audit(db)
    assert (event.action, event.actor_name) == ("staff.created", Actor.operator().username)
    assert event.detail == {"username": "kari", "role": "editor"}


def test_list_disable_enable(db, key):
    make_staff(db, key, "boss", Role.admin)
    make_staff(db, key, "kari", Role.editor)
    admin = actor_for(db, "boss")
    staff.disable_staff(db, actor=admin, username="kari")
    listed = {s.username: s for s in staff.list_staff(db, actor=admin)}
    assert listed["kari"].disabled and not listed["boss"].disabled
    assert last_audit(db).action == "staff.disabled"
    staff.enable_staff(db, actor=admin, username="kari")
    assert not {s.username: s for s in staff.list_staff(db, actor=admin)}["kari"].disabled
    with pytest.raises(NotFound):
        staff.disable_staff(db, actor=admin, username="ghost")


def test_the_last_admin_cannot_be_disabled(db, key):
    make_staff(db, key, "boss", Role.admin)
    with pytest.raises(PanelError, match="last active admin"):
        staff.disable_staff(db, actor=Actor.operator(), username="boss")


def test_reset_totp_replaces_secret_and_codes(db, key):
    first = make_staff(db, key, "kari")
    second = staff.reset_totp(db, key, actor=Actor.operator(), username="kari")
    assert second.secret != first.secret
    assert not set(second.recovery_codes) & set(first.recovery_codes)
    with db.read() as session:
        assert len(list(session.exec(select(RecoveryCode)))) == 10
    assert last_audit(db).action == "staff.totp_reset"
