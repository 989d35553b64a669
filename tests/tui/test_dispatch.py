"""The dispatch queue screen: counts, pause and resume, a message as sent, test email, cancel."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import DataTable, Input, Static

from store.actors import Actor
from store.models import Message
from store.outbox import is_paused
from store.sampling import Selection, plan_send
from store.sending import Mailing, queue_invitations
from store.surveys import get_survey, set_survey_status
from tui.cli_send import survey_letters_for
from tui.screens.dispatch import DispatchScreen
from tui.screens.message_view import MessageViewScreen

from .conftest import open_section, settle
from .test_sending import residents
from .test_surveys import climate_survey

SIZE = (110, 36)


def queued_survey(world, people: int = 6) -> int:
    residents(world, people)
    db, actor = world.backend.db, Actor.operator()
    survey_id = climate_survey(world)
    set_survey_status(db, actor=actor, survey_id=survey_id, status="open")
    plan = plan_send(db, actor=actor, survey_id=survey_id, selection=Selection())
    settings = world.backend.settings
    queue_invitations(
        db, world.backend.key, actor=actor, plan=plan,
        letters=survey_letters_for("invitation", get_survey(db, actor=actor, survey_id=survey_id),
                                   settings),
        mailing=Mailing(settings.mail_from, settings.base_url),
    )  # fmt: skip
    return survey_id


def statuses(world) -> list[str]:
    with world.backend.db.read() as session:
        return sorted(m.status for m in session.exec(select(Message)))


async def test_the_queue_screen_by_keyboard(world) -> None:
    queued_survey(world)
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f5")
        screen = app.screen
        assert isinstance(screen, DispatchScreen)
        counts = screen.query_one("#dispatch-counts", DataTable)
        assert [str(c) for c in counts.get_row_at(0)][:3] == ["Klima i Bærum", "invitation", "6"]
        line = screen.query_one("#dispatch-state-line", Static).render().plain
        assert "Sending is sending" in line and "0 of 6 done" in line

        await pilot.press("p")
        await settle(pilot)
        assert is_paused(world.backend.db)
        assert "paused" in screen.query_one("#dispatch-state-line", Static).render().plain
        await pilot.press("p")
        await settle(pilot)
        assert not is_paused(world.backend.db)

        await pilot.press("enter")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, MessageViewScreen)
        text = view.query_one("#message-text", Static).render().plain
        assert "/s/[[token]]" in text and "Hei Beboer" in text
        headers = view.query_one("#message-headers", Static).render().plain
        assert "Subject: Klima i Bærum" in headers and "List-Unsubscribe-Post" in headers
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("t")
        await settle(pilot)
        app.screen.query_one(Input).value = "kari@kommune.no"
        await pilot.press("enter")
        await settle(pilot)
        assert statuses(world) == ["queued"] * 7

        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert statuses(world) == ["cancelled"] * 7


async def test_the_app_sends_the_queue_itself_when_told_to(world) -> None:
    import asyncio

    from tests.mail.smtp_server import SmtpServer
    from tui.backend import Backend

    queued_survey(world, people=4)
    server = SmtpServer().start()
    try:
        settings = world.backend.settings.model_copy(
            update={"dispatch_in_app": True, "smtp_host": "127.0.0.1", "smtp_port": server.port,
                    "send_retry_seconds": 0.0}
        )  # fmt: skip
        backend = Backend(settings=settings, db=world.backend.db, key=world.backend.key)
        app = world.app()
        app.settings = settings
        app.backend = backend
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(200):  # the dispatcher runs in its own thread: wait for it
                if statuses(world) == ["sent"] * 4:
                    break
                await asyncio.sleep(0.05)
            await pilot.pause()
            assert app.dispatcher is not None
        assert statuses(world) == ["sent"] * 4
        assert sorted(r.rcpt_tos[0] for r in server.received) == [
            f"b{i}@example.no" for i in range(4)
        ]
        assert not app.dispatcher.thread.is_alive()  # stopped with the app
    finally:
        server.stop()


async def test_a_workshop_message_shows_its_calendar_file_and_counts_under_its_title(
    world,
) -> None:
    from tests.store.test_events import invited, people, workshop

    db, key = world.backend.db, world.backend.key
    event_id, _sessions = workshop(db, 5)
    invited(db, key, event_id, people(db, 2, gender="female", birth_year=1990))
    app = world.app()
    async with app.run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f5")
        counts = app.screen.query_one("#dispatch-counts", DataTable)
        assert [str(c) for c in counts.get_row_at(0)][:3] == [
            "Min side – verksted", "event-invitation", "2"
        ]  # fmt: skip
        await pilot.press("enter")  # the newest message
        await settle(pilot)
        view = app.screen
        assert isinstance(view, MessageViewScreen)
        shown = " ".join(s.render().plain for s in view.query(Static))
        assert "Attached: invitasjon.ics (text/calendar)" in shown
        assert "BEGIN:VCALENDAR" in shown and "SUMMARY:Min side – verksted – Økt 1" in shown
