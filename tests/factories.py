"""Small builders for test data."""

from __future__ import annotations

from datetime import datetime

import pyotp

from store.actors import Actor
from store.roles import Role
from store.staff import Enrolment, create_staff

PASSWORD = "correct horse battery"


def make_staff(db, key, username: str = "kari", role: Role = Role.admin) -> Enrolment:
    return create_staff(
        db, key, actor=Actor.operator(), username=username, role=role, password=PASSWORD
    )


def code_at(enrolment: Enrolment, moment: datetime) -> str:
    return pyotp.TOTP(enrolment.secret).at(moment)


def actor_for(db, username: str) -> Actor:
    from sqlmodel import select

    from store.models import Staff

    with db.read() as session:
        staff = session.exec(select(Staff).where(Staff.username == username)).one()
    return Actor(id=staff.id, username=staff.username, role=Role(staff.role))
