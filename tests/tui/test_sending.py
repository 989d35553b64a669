"""Sending a survey from the app: check who would get it, then send to exactly those."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select
from textual.widgets import Input, Static

from store.actors import Actor
from store.models import Invitation, Message, Participant
from store.surveys import set_survey_status
from tui.screens.send_dialog import SendDialog
from tui.screens.surveys import SurveysScreen

from .conftest import open_section, settle
from .test_surveys import climate_survey

SIZE = (100, 40)


def residents(world, n: int = 12) -> None:
    with world.backend.db.write() as session:
        for i in range(n):
            session.add(
                Participant(
                    name=f"Beboer {i}",
                    email=f"b{i}@example.no",
                    email_key=f"b{i}@example.no",
                    status="active",
                    gender="female" if i % 2 else "male",
                    birth_year=1990,
                )
            )


def count(world, table) -> int:
    with world.backend.db.read() as session:
        return session.exec(select(func.count()).select_from(table)).one()


async def test_check_then_send_a_sample_by_keyboard(world) -> None:
    residents(world)
    survey_id = climate_survey(world)
    set_survey_status(world.backend.db, actor=Actor.operator(), survey_id=survey_id, status="open")
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f4")
        assert isinstance(app.screen, SurveysScreen)
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, SendDialog)
        report = dialog.query_one("#send-report", Static)
        error = dialog.query_one("#send-error", Static)
        await pilot.press("ctrl+s")  # not checked yet
        await settle(pilot)
        assert "Check first" in error.render().plain
        dialog.query_one("#send-method").value = "simple"
        dialog.query_one("#send-size", Input).value = "5"
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        text = report.render().plain
        assert "Matching the filter: 12 active participants" in text
        assert "Chosen: a sample of 5, at random" in text
        seed = dialog.query_one("#send-seed", Input).value
        assert seed.isdigit() and f"seed {seed}" in text
        assert dialog.plan is not None  # showing the seed did not undo the check
        chosen = list(dialog.plan.chosen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SurveysScreen)
    with world.backend.db.read() as session:
        invited = session.exec(select(Invitation.participant_id)).all()
    assert sorted(invited) == sorted(chosen)
    assert count(world, Message) == 5


async def test_a_changed_rule_must_be_checked_again(world) -> None:
    residents(world, 4)
    survey_id = climate_survey(world)
    set_survey_status(world.backend.db, actor=Actor.operator(), survey_id=survey_id, status="open")
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f4")
        await pilot.press("s")
        await settle(pilot)
        dialog = app.screen
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert dialog.plan is not None and len(dialog.plan.chosen) == 4
        dialog.query_one("#send-rest", Input).value = "0"
        await settle(pilot)
        assert dialog.plan is None
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Check first" in dialog.query_one("#send-error", Static).render().plain
        await pilot.press("escape")
        await settle(pilot)
    assert count(world, Invitation) == 0


async def test_a_draft_cannot_be_sent(world) -> None:
    residents(world, 2)
    climate_survey(world)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f4")
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SurveysScreen)
    assert count(world, Invitation) == 0
