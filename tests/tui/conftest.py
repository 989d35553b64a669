"""An app over a real SQLite database with an admin, an analyst and a few participants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
import pytest

from store.models import Participant
from store.roles import Role
from store.staff import Enrolment
from tests.factories import PASSWORD, make_staff
from tui.app import PanelApp, create_app
from tui.backend import Backend
from tui.settings import load_settings


@dataclass
class World:
    backend: Backend
    admin: Enrolment
    analyst: Enrolment

    def app(self, **kwargs) -> PanelApp:
        return create_app(self.backend.settings, backend=self.backend, **kwargs)


@pytest.fixture
def world(sqlite_db, key, tmp_path) -> World:
    settings = load_settings(data_dir=tmp_path, language="en")
    admin = make_staff(sqlite_db, key, "kari", Role.admin)
    analyst = make_staff(sqlite_db, key, "ana", Role.analyst)
    with sqlite_db.write() as session:
        for n, status in enumerate(["active"] * 3 + ["paused"]):
            session.add(Participant(name=f"P {n}", email_key=f"p{n}@x.no", status=status))
    return World(Backend(settings=settings, db=sqlite_db, key=key), admin, analyst)


async def settle(pilot) -> None:
    """Let store calls finish and their results reach the screen."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def log_in(pilot, enrolment: Enrolment, *, code: str | None = None, password=PASSWORD):
    screen = pilot.app.screen
    await pilot.press(*enrolment.username)
    await pilot.press("enter")
    screen.query_one("#password").value = password
    await pilot.press("enter")
    code = code if code is not None else pyotp.TOTP(enrolment.secret).now()
    await pilot.press(*code)
    await pilot.press("enter")
    await settle(pilot)


def now_code(enrolment: Enrolment, offset_steps: int = 0) -> str:
    moment = datetime.now(UTC).timestamp() + 30 * offset_steps
    return pyotp.TOTP(enrolment.secret).at(moment)


async def open_section(pilot, enrolment: Enrolment, key: str):
    """Log in as `enrolment`, press a section's key, and return the screen once it has loaded."""
    await log_in(pilot, enrolment)
    await pilot.press(key)
    await settle(pilot)
    return pilot.app.screen
