"""Publishing a survey's results through Pilot: refused while the survey is open, then published
with what was learned and the follow-up emails queued, updated without a second email; the
quotes chosen in the free text reach the report; analysts cannot publish."""

from __future__ import annotations

from sqlmodel import col, func, select, update
from textual.widgets import OptionList, Static, TextArea

from store.actors import Actor
from store.models import Message, Participant, Survey
from store.publishing import Quote, report
from store.surveys import set_survey_status
from tests.store.test_results import generate
from tui.screens.confirm import ConfirmScreen
from tui.screens.publish_dialog import PublishDialog
from tui.screens.results import ResultsScreen

from .conftest import log_in, settle
from .test_results import open_results, open_text_answers
from .test_shell import palette

SIZE = (80, 24)
ADDRESS = "http://127.0.0.1:8080/resultater/{id}"


def survey_with_answers(world, count: int = 60) -> tuple[int, list[dict]]:
    """`generate`'s open survey; the fixture's participants make way for its addresses, and
    everyone gets an email address so that follow-ups can be queued."""
    db = world.backend.db
    with db.write() as session:
        for person in session.exec(select(Participant)):
            person.email_key = f"world-{person.id}@x.no"
    survey_id, rows = generate(db, count)
    with db.write() as session:
        session.execute(update(Participant).values(email=Participant.email_key))
    return survey_id, rows


def close(world, survey_id: int, status: str = "closed") -> None:
    set_survey_status(world.backend.db, actor=Actor.operator(), survey_id=survey_id, status=status)


def survey_row(world, survey_id: int) -> Survey:
    with world.backend.db.read() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        session.expunge(survey)
        return survey


def follow_ups(world, survey_id: int) -> int:
    with world.backend.db.read() as session:
        return session.exec(
            select(func.count())
            .select_from(Message)
            .where(Message.survey_id == survey_id, col(Message.kind) == "follow-up")
        ).one()


def notes(pilot) -> list[str]:
    return [f"{n.title}: {n.message}" for n in pilot.app._notifications]


async def press_p(pilot) -> PublishDialog:
    await pilot.press("p")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, PublishDialog)
    return dialog


def shown(dialog, selector: str) -> str:
    return str(dialog.query_one(selector, Static).render())


async def test_an_open_survey_is_refused_then_the_closed_one_published_and_updated(world):
    survey_id, rows = survey_with_answers(world)
    address = ADDRESS.format(id=survey_id)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.admin)
        assert screen.check_action("publish", ()) is True

        await pilot.press("p")
        await settle(pilot)
        assert pilot.app.screen is screen  # no dialog, and no crash
        assert any(
            "close the survey before publishing its results" in m.lower() for m in notes(pilot)
        )
        assert survey_row(world, survey_id).results_published_at is None

        close(world, survey_id)
        dialog = await press_p(pilot)
        area = dialog.query_one("#publish-learned", TextArea)
        assert dialog.focused is area and area.text == ""
        assert "Not published yet" in shown(dialog, "#publish-status")
        assert address in shown(dialog, "#publish-status")
        assert shown(dialog, "#publish-quotes").startswith("0 quotes chosen for the report")

        await pilot.press("ctrl+s")  # nothing said yet
        await settle(pilot)
        assert pilot.app.screen is dialog
        assert "Say what was learned" in shown(dialog, "#publish-error")

        await pilot.press(*"Mer buss")
        assert area.text == "Mer buss"
        assert shown(dialog, "#publish-length").startswith("8 of at most")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is screen

        survey = survey_row(world, survey_id)
        assert survey.results_published_at is not None
        assert survey.learned == "Mer buss"
        assert follow_ups(world, survey_id) == len(rows)  # everyone who answered has an address
        published = [m for m in notes(pilot) if m.startswith("Results published")]
        assert len(published) == 1
        assert f"The results are published at {address}." in published[0]
        assert f"{len(rows)} follow-up emails queued" in published[0]

        # Again: the text is there to change; no confirmation, and no second email.
        dialog = await press_p(pilot)
        area = dialog.query_one("#publish-learned", TextArea)
        assert area.text == "Mer buss"
        assert "Publishing again updates the text" in shown(dialog, "#publish-status")
        await pilot.press(*" og tog")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        survey = survey_row(world, survey_id)
        assert survey.learned == "Mer buss og tog"
        assert follow_ups(world, survey_id) == len(rows)
        latest = [m for m in notes(pilot) if m.startswith("Results published")][-1]
        assert f"The report at {address} is updated." in latest
        assert "No follow-up email queued" in latest


async def test_a_survey_opened_again_meanwhile_is_refused_by_the_store(world):
    survey_id, _rows = survey_with_answers(world, 20)
    close(world, survey_id)
    async with world.app().run_test(size=SIZE) as pilot:
        await open_results(pilot, world.admin)
        dialog = await press_p(pilot)
        close(world, survey_id, "open")
        await pilot.press(*"Svar")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is dialog  # the text stays, to publish once it is closed
        assert "Not done: close the survey before publishing its results" in notes(pilot)
        assert survey_row(world, survey_id).results_published_at is None
        assert follow_ups(world, survey_id) == 0
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ResultsScreen)


async def test_a_quote_chosen_in_the_free_text_is_in_the_report(world):
    survey_id, rows = survey_with_answers(world)
    close(world, survey_id)
    async with world.app().run_test(size=SIZE) as pilot:
        answers = await open_text_answers(pilot, world)
        await pilot.press("tab")
        options = answers.query_one("#text-list", OptionList)
        assert answers.focused is options
        await pilot.press("space")
        await settle(pilot)
        chosen = str(options.options[0].prompt)
        assert chosen.startswith("★ ")
        await pilot.press("escape")
        screen = pilot.app.screen
        assert isinstance(screen, ResultsScreen)

        dialog = await press_p(pilot)
        assert shown(dialog, "#publish-quotes").startswith("1 quote chosen for the report")
        await pilot.press(*"Takk")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is screen

    published = report(world.backend.db, survey_id)
    assert published is not None
    assert published.learned == "Takk"
    newest = [r["ideas"] for r in rows if r["ideas"]][-1]
    assert published.quotes == [Quote("Ideer?", newest)]
    assert chosen == f"★ {newest}"


async def test_the_palette_opens_the_publish_dialog_for_the_selected_survey(world):
    survey_id, _rows = survey_with_answers(world, 20)
    close(world, survey_id)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await palette(pilot, "Surveys: Publish results")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, PublishDialog)
        assert dialog.state.survey_id == survey_id
        await pilot.press("escape")
        assert isinstance(pilot.app.screen, ResultsScreen)


async def test_an_analyst_has_no_publish_key(world):
    survey_id, _rows = survey_with_answers(world, 20)
    close(world, survey_id)
    async with world.app().run_test(size=SIZE) as pilot:
        screen = await open_results(pilot, world.analyst)
        assert screen.check_action("publish", ()) is False
        assert "p" not in screen.active_bindings
        await pilot.press("p")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert survey_row(world, survey_id).results_published_at is None
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Publish results")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, PublishDialog)
