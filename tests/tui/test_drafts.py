"""Unsaved work in the survey editor outlives a session that ends without warning (a dropped
SSH connection), and comes back when the survey is opened again; nothing saved is touched."""

from __future__ import annotations

import time

import pyotp
from textual.widgets import Input, TextArea

from store.actors import Actor
from store.surveys import get_survey
from tui import drafts
from tui.screens.survey_editor import SurveyEditor

from .conftest import log_in, settle
from .test_surveys import climate_survey, editor_for

SIZE = (110, 36)


def notes(pilot) -> list[str]:
    return [str(n.message) for n in pilot.app._notifications]


async def test_typing_cut_off_comes_back_and_saved_work_is_untouched(world) -> None:
    survey_id = climate_survey(world)
    saved_intro = get_survey(
        world.backend.db, actor=Actor.operator(), survey_id=survey_id
    ).spec.intro
    async with world.app().run_test(size=SIZE) as pilot:
        editor = await editor_for(pilot, world, survey_id)
        editor.query_one("#s-intro", TextArea).text = "Halvskrevet innledning"
        editor.query_one("#s-title", Input).value = "Klima i Bærum 2027"
        editor._keep()  # as its timer does every few seconds
        assert drafts.kept("kari", survey_id).spec.intro == "Halvskrevet innledning"
    # The session ended with no save and no goodbye. The database holds what it held.
    detail = get_survey(world.backend.db, actor=Actor.operator(), survey_id=survey_id)
    assert detail.spec.intro == saved_intro and detail.spec.title == "Klima i Bærum"

    async with world.app().run_test(size=SIZE) as pilot:
        # The next code: the one just used is spent (one step of clock drift is allowed).
        await log_in(pilot, world.admin, code=pyotp.TOTP(world.admin.secret).at(time.time() + 30))
        await settle(pilot)
        assert any("“Klima i Bærum 2027”" in n and "F4" in n for n in notes(pilot))
        await pilot.press("f4")
        await settle(pilot)
        table = pilot.app.screen.query_one("#surveys")
        table.move_cursor(row=table.get_row_index(str(survey_id)))
        await pilot.press("enter")
        await settle(pilot)
        editor = pilot.app.screen
        assert isinstance(editor, SurveyEditor)
        assert editor.query_one("#s-intro", TextArea).text == "Halvskrevet innledning"
        assert editor.query_one("#s-title", Input).value == "Klima i Bærum 2027"
        assert any("are back" in n for n in notes(pilot))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert get_survey(world.backend.db, actor=Actor.operator(),
                          survey_id=survey_id).spec.intro == "Halvskrevet innledning"  # fmt: skip
        assert drafts.kept("kari", survey_id) is None  # saved: nothing left to bring back


async def test_leaving_on_purpose_or_reloading_forgets_the_kept_changes(world) -> None:
    survey_id = climate_survey(world)
    async with world.app().run_test(size=SIZE) as pilot:
        editor = await editor_for(pilot, world, survey_id)
        editor.query_one("#s-intro", TextArea).text = "Noe annet"
        editor._keep()
        assert drafts.kept("kari", survey_id) is not None
        await pilot.press("escape")  # leave without saving, and say yes
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, SurveyEditor)
        assert drafts.kept("kari", survey_id) is None
        # A new survey never saved is kept too, and brought back to the next new one.
        await pilot.press("n")
        await settle(pilot)
        editor = pilot.app.screen
        editor.query_one("#s-title", Input).value = "Ny undersøkelse"
        editor._keep()
        assert drafts.kept("kari", None).title == "Ny undersøkelse"
        await pilot.press("ctrl+r")  # nothing saved to reload: the new draft stays
        await settle(pilot)
        assert drafts.kept("kari", None) is not None
