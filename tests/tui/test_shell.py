"""The app shell through Pilot: login, sections by palette and key, help, lock and logout."""

from __future__ import annotations

import pytest
from sqlmodel import col, select
from textual.widgets import DataTable, Input, Static

from store.models import AuditEvent, Staff
from tui.screens.audit_log import AuditLogScreen
from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.screens.lock import LockScreen
from tui.screens.login import LoginScreen
from tui.screens.staff_admin import StaffAdminScreen
from tui.screens.staff_forms import EnrolmentScreen

from .conftest import log_in, settle

SIZE = (100, 30)


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_login_reaches_home_with_the_panel_at_a_glance(world):
    async with world.app().run_test(size=SIZE) as pilot:
        assert isinstance(pilot.app.screen, LoginScreen)
        await log_in(pilot, world.admin)
        screen = pilot.app.screen
        assert isinstance(screen, HomeScreen)
        assert "Logged in as kari" in text_of(screen, "#greeting")
        assert "3 active of 4" in text_of(screen, "#greeting")
        table = screen.query_one("#participants", DataTable)
        assert table.get_row("active")[1] == "3"
        assert table.get_row("paused")[1] == "1"


@pytest.mark.parametrize("wrong", ["password", "code"])
async def test_failed_login_does_not_say_which_factor_was_wrong(world, wrong):
    async with world.app().run_test(size=SIZE) as pilot:
        if wrong == "password":
            await log_in(pilot, world.admin, password="not the right one")
        else:
            await log_in(pilot, world.admin, code="000000")
        screen = pilot.app.screen
        assert isinstance(screen, LoginScreen)
        message = text_of(screen, "#login-error")
        assert message.startswith("Login failed. Check the username, password and code.")
        assert screen.query_one("#password", Input).value == ""
        assert screen.query_one("#code", Input).value == ""
    with world.backend.db.read() as session:
        actions = list(session.exec(select(AuditEvent.action)))
    assert "login.failed" in actions


async def test_login_works_while_the_app_opens_the_database_itself(world):
    """Started from the command line the app has no backend yet; it opens one in a thread."""
    world.backend.settings = world.backend.settings.model_copy(
        update={
            "database_url": str(world.backend.db.url),
            "secret_key": __import__("pydantic").SecretStr(world.backend.key.as_text()),
        }
    )
    from tui.app import create_app

    app = create_app(world.backend.settings)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        assert isinstance(pilot.app.screen, HomeScreen)


async def palette(pilot, query: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*query)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.parametrize(
    ("query", "screen_type"),
    [
        ("Go to: Staff", StaffAdminScreen),
        ("Go to: Audit", AuditLogScreen),
        ("Go to: Home", HomeScreen),
    ],
)
async def test_each_section_is_reachable_by_the_command_palette(world, query, screen_type):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await palette(pilot, "Go to: Staff")
        await palette(pilot, query)
        assert isinstance(pilot.app.screen, screen_type)


async def test_section_actions_are_reachable_by_name(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await palette(pilot, "Add staff member")
        form = pilot.app.screen
        form.query_one("#username", Input).value = "nils"
        form.query_one("#password", Input).value = "a long enough password"
        form.query_one("#repeat", Input).value = "a long enough password"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, EnrolmentScreen)
        assert "otpauth://totp/Innbyggerpanelet:nils" in text_of(pilot.app.screen, "#uri")
        await pilot.press("escape")
        await settle(pilot)
        table = pilot.app.screen.query_one("#staff", DataTable)
        assert "nils" in [row.value for row in table.rows]
    with world.backend.db.read() as session:
        assert session.exec(select(Staff.role).where(Staff.username == "nils")).one() == "editor"


async def test_analyst_cannot_open_admin_sections(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.analyst)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)
        await pilot.press("ctrl+p")
        await pilot.press(*"Staff")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, StaffAdminScreen)


async def test_function_keys_switch_sections(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(pilot.app.screen, AuditLogScreen)
        rows = pilot.app.screen.query_one("#audit", DataTable)
        actions = [rows.get_row_at(i)[2] for i in range(rows.row_count)]
        assert actions[0] == "login.ok"
        await pilot.press("f2")
        assert isinstance(pilot.app.screen, HomeScreen)


async def test_help_lists_keys(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        table = pilot.app.screen.query_one("#keys", DataTable)
        described = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert {"Lock", "Home", "Staff", "Audit log", "Add", "Disable"} <= described
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, StaffAdminScreen)


async def test_lock_asks_for_a_fresh_code_and_blocks_everything_else(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LockScreen)
        await pilot.press("f9")  # sections are closed while locked
        await pilot.pause()
        assert isinstance(pilot.app.screen, LockScreen)
        await pilot.press(*"000000", "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, LockScreen)
        assert "not accepted" in text_of(pilot.app.screen, "#lock-error")
        pilot.app.screen.query_one("#unlock-code", Input).value = world.admin.recovery_codes[0]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HomeScreen)


async def test_idle_app_locks_itself(world):
    async with world.app(idle_lock_seconds=1.0).run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        assert pilot.app.actor is not None
        await pilot.pause(2.5)
        assert isinstance(pilot.app.screen, LockScreen)
        await pilot.press("f9")
        assert isinstance(pilot.app.screen, LockScreen)


async def test_logout_returns_to_an_empty_login_screen(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, LoginScreen)
        assert pilot.app.actor is None
        assert all(field.value == "" for field in screen.query(Input))
        await pilot.press("f8")  # nothing opens without a login
        await pilot.pause()
        assert isinstance(pilot.app.screen, LoginScreen)
        # Log in again as someone else: the sections start afresh.
        await log_in(pilot, world.analyst)
        assert isinstance(pilot.app.screen, HomeScreen)
        assert "Logged in as ana" in text_of(pilot.app.screen, "#greeting")
    with world.backend.db.read() as session:
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc())).first()
    assert last.action == "login.ok" and last.actor_name == "ana"
