"""The demo's guide on the home screen: each step ticks off when it is done, and the keys it
names do what it says."""

from __future__ import annotations

from datetime import date

from textual.widgets import Input, Static

from store.actors import Actor
from store.models import Survey
from store.surveys import create_survey
from tests.store.test_surveys import climate

from .conftest import log_in, settle
from .test_sending import residents

GUIDE = {"maildir": "/tmp/demo/mail", "site": "http://127.0.0.1:8080"}


def guide_lines(pilot) -> list[str]:
    return pilot.app.screen.query_one("#guide", Static).render().plain.splitlines()


def ticked(pilot) -> list[int]:
    return [n for n, line in enumerate(guide_lines(pilot)[1:], start=1) if line.startswith("✓")]


async def test_the_guide_ticks_off_the_loop_as_the_keys_it_names_are_pressed(world) -> None:
    residents(world, 40)
    past = climate()
    past.opens_on, past.closes_on = date(2019, 10, 14), date(2019, 11, 1)
    old = create_survey(world.backend.db, actor=Actor.operator(), spec=past)
    with world.backend.db.write() as session:  # it ran in 2019, as the demo's did
        session.get(Survey, old).status = "closed"
    async with world.app(guide=GUIDE).run_test(size=(120, 40)) as pilot:
        await log_in(pilot, world.admin)
        await settle(pilot)
        lines = guide_lines(pilot)
        assert "/tmp/demo/mail" in lines[4] and "http://127.0.0.1:8080/resultater" in lines[7]
        assert ticked(pilot) == [1]
        await pilot.press("f7")  # whom the panel is missing
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert ticked(pilot) == [1, 2]
        # Step 3 by its own words: F4, the climate survey, d, o, s.
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        dialog = pilot.app.screen
        dialog.query_one("#send-method").value = "stratified"
        dialog.query_one("#send-size", Input).value = "20"
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert ticked(pilot) == [1, 2, 3]


async def test_no_guide_outside_the_demo(world) -> None:
    async with world.app().run_test(size=(120, 40)) as pilot:
        await log_in(pilot, world.admin)
        await settle(pilot)
        assert not pilot.app.screen.query_one("#guide").display
