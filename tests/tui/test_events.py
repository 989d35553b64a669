"""Workshops through Pilot: events and sessions by their dialogs, a refused session keeping what
was typed, the call for volunteers and the draw with their plans, cancelling an invitation
(the waiting list moves up), attendance afterwards, and the section by F10 and the palette."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from textual.widgets import DataTable, Input, Select, Static, TextArea

from mail.compose import event_mail
from store.actors import Actor
from store.event_draw import DrawRequest, invite_drawn, plan_draw
from store.events import (
    add_session,
    add_volunteer,
    create_event,
    event_view,
    invite_token,
    list_events,
)
from store.models import EventInvite, EventSession, EventVolunteer, Message, Participant
from store.rsvp import answer_invite
from store.timeutil import utcnow
from tui.screens.event_call import CallDialog, SurveyVolunteersDialog, VolunteersScreen
from tui.screens.event_draw_dialog import DrawDialog
from tui.screens.event_forms import EventForm, SessionForm
from tui.screens.events import EventDetailScreen, EventsScreen

from .conftest import log_in, open_section, settle
from .test_shell import palette

SIZE = (120, 50)
OSLO = ZoneInfo("Europe/Oslo")
ADMIN = Actor.operator()


# ------------------------------------------------------------------------ state, by the store


def residents(world, n: int, *, prefix: str = "r", **fields) -> list[int]:
    """`n` active residents with an address, in alternating groups unless `fields` say."""
    year = utcnow().year
    with world.backend.db.write() as session:
        rows = []
        for i in range(n):
            values = {
                "gender": "female" if i % 2 else "male",
                "birth_year": year - (25 if i % 3 else 60),
                "district": "Sandvika" if i % 4 else "Bekkestua",
            }
            values.update(fields)
            rows.append(
                Participant(
                    name=f"Beboer {prefix}{i:02d}",
                    email=f"{prefix}{i}@example.no",
                    email_key=f"{prefix}{i}@example.no",
                    status="active",
                    language="nb",
                    **values,
                )
            )
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def workshop(world, *capacities: int, title: str = "Min side – verksted") -> tuple[int, list[int]]:
    db = world.backend.db
    event_id = create_event(db, actor=ADMIN, title=title, location="Rådhuset")
    start = (utcnow() + timedelta(days=14)).replace(second=0, microsecond=0)
    sessions = [
        add_session(db, actor=ADMIN, event_id=event_id, starts_at=start + timedelta(days=n),
                    ends_at=start + timedelta(days=n, hours=2), capacity=c, label=f"Økt {n + 1}")
        for n, c in enumerate(capacities)
    ]  # fmt: skip
    return event_id, sessions


def mail(world):
    settings = world.backend.settings
    return event_mail(mail_from=settings.mail_from, base_url=settings.base_url)


def invite_all(world, event_id: int, ids: list[int]) -> dict[int, str]:
    """Make `ids` volunteers, draw them all, invite them; their links' tokens by id."""
    db, key = world.backend.db, world.backend.key
    for participant_id in ids:
        add_volunteer(db, actor=ADMIN, event_id=event_id, participant_id=participant_id)
    plan = plan_draw(db, actor=ADMIN, event_id=event_id,
                     request=DrawRequest(size=len(ids), method="random"))  # fmt: skip
    invite_drawn(db, key, actor=ADMIN, plan=plan, mail=mail(world))
    with db.read() as session:
        rows = session.exec(select(EventInvite).where(EventInvite.event_id == event_id)).all()
        return {row.participant_id: invite_token(key, row.link_salt) for row in rows}


def notes(pilot) -> list[str]:
    return [str(n.message) for n in pilot.app._notifications]


def text(widget) -> str:
    return widget.render().plain if hasattr(widget.render(), "plain") else str(widget.render())


async def type_into(pilot, selector: str, value: str) -> None:
    """Focus a field and type into it, key by key, as staff do."""
    pilot.app.screen.query_one(selector).focus()
    await pilot.pause()
    await pilot.press(*value)


async def open_event(pilot, world, title: str) -> EventDetailScreen:
    await open_section(pilot, world.admin, "f10")
    screen = pilot.app.screen
    assert isinstance(screen, EventsScreen)
    table = screen.query_one("#events", DataTable)
    key = next(k for k, row in screen.rows.items() if row.title == title)
    table.move_cursor(row=table.get_row_index(str(key)))
    await pilot.press("enter")
    await settle(pilot)
    detail = pilot.app.screen
    assert isinstance(detail, EventDetailScreen)
    return detail


def choose(screen, selector: str, key: int) -> None:
    table = screen.query_one(selector, DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(str(key)))


# ------------------------------------------------------------------------------------- tests


async def test_an_event_and_a_session_are_made_through_the_dialogs(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f10")
        screen = pilot.app.screen
        assert isinstance(screen, EventsScreen)
        assert screen.query_one("#events-hint").display
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(pilot.app.screen, EventForm)
        await pilot.press(*"Verksted om Min side")
        await pilot.press("tab")
        await pilot.press(*"Vi utvikler Min side sammen.")
        await pilot.press("tab")
        await pilot.press(*"Rådhuset")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        table = screen.query_one("#events", DataTable)
        assert table.row_count == 1
        (row,) = list_events(world.backend.db, actor=ADMIN)
        assert (row.title, row.location, row.status) == ("Verksted om Min side", "Rådhuset", "open")
        assert [str(c) for c in table.get_row(str(row.id))] == [
            "Verksted om Min side", "–", "0", "0", "0", "0", "open",
        ]  # fmt: skip

        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, SessionForm)
        day = (utcnow() + timedelta(days=30)).astimezone(OSLO).date()
        await pilot.press(*"Økt 1", "enter")  # Enter moves to the next field
        await pilot.press(*day.isoformat(), "enter")
        await pilot.press(*"18:00", "enter")
        await pilot.press(*"20.30", "enter")
        await pilot.press(*"12", "enter")
        await pilot.press(*"Bibliotek", "enter")  # the last field: Enter saves
        await settle(pilot)
        assert pilot.app.screen is screen
        assert "Session added." in notes(pilot)
        assert table.get_row(str(row.id))[1] == f"{day.isoformat()} 18:00"
        assert table.get_row(str(row.id))[2] == "1"

        await pilot.press("enter")
        await settle(pilot)
        detail = pilot.app.screen
        assert isinstance(detail, EventDetailScreen)
        assert "Vi utvikler Min side sammen." in text(detail.query_one("#event-description"))
        sessions = detail.query_one("#sessions", DataTable)
        assert [str(c) for c in sessions.get_row_at(0)] == [
            "Økt 1", f"{day.isoformat()} 18:00–20:30", "12", "0", "0", "12", "0", "Bibliotek",
        ]  # fmt: skip
    view = event_view(world.backend.db, actor=ADMIN, event_id=row.id)
    (session,) = view.sessions
    assert session.starts_at == datetime.combine(day, datetime.min.time().replace(hour=18), OSLO)
    assert session.ends_at - session.starts_at == timedelta(hours=2, minutes=30)
    assert (session.capacity, session.label, session.location) == (12, "Økt 1", "Bibliotek")
    assert view.description == "Vi utvikler Min side sammen."


async def test_a_bad_session_shows_the_message_and_keeps_what_was_typed(world):
    event_id, _sessions = workshop(world)
    async with world.app().run_test(size=SIZE) as pilot:
        detail = await open_event(pilot, world, "Min side – verksted")
        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, SessionForm)
        values = {"label": "Kveld", "day": "2031-03-04", "start": "19:00", "end": "18:00",
                  "capacity": "10", "place": ""}  # fmt: skip
        for name, value in values.items():
            if value:
                await type_into(pilot, f"#se-{name}", value)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form  # still open
        assert "end after it starts" in text(form.query_one("#se-end-error", Static))
        assert form.query_one("#se-end-error").display
        assert {n: form.query_one(f"#se-{n}", Input).value for n in values} == values

        form.query_one("#se-end", Input).value = "21:00"
        form.query_one("#se-capacity", Input).value = "0"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert not form.query_one("#se-end-error").display  # the old message is gone
        assert "between 1 and" in text(form.query_one("#se-capacity-error", Static))
        assert form.query_one("#se-capacity", Input).value == "0"
        assert form.focused is form.query_one("#se-capacity", Input)

        form.query_one("#se-day", Input).value = "4. mars"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "YYYY-MM-DD" in text(form.query_one("#se-day-error", Static))

        form.query_one("#se-day", Input).value = "2031-03-04"
        form.query_one("#se-capacity", Input).value = "10"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is detail
        assert detail.query_one("#sessions", DataTable).row_count == 1
    (session,) = event_view(world.backend.db, actor=ADMIN, event_id=event_id).sessions
    assert session.starts_at.astimezone(OSLO).strftime("%Y-%m-%d %H:%M") == "2031-03-04 19:00"


async def test_an_empty_title_is_refused_next_to_its_field(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f10")
        await pilot.press("n")
        await settle(pilot)
        form = pilot.app.screen
        await pilot.press("tab")
        await pilot.press(*"Uten tittel")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is form
        assert "needs a title" in text(form.query_one("#ev-title-error", Static))
        assert form.query_one("#ev-description", TextArea).text == "Uten tittel"
    assert list_events(world.backend.db, actor=ADMIN) == []


async def test_the_call_for_volunteers_shows_its_plan_then_queues(world):
    ids = residents(world, 12)
    with world.backend.db.write() as session:  # two were written to last week
        for participant_id in ids[:2]:
            person = session.get(Participant, participant_id)
            person.last_contacted_at = utcnow() - timedelta(days=7)
            session.add(person)
    event_id, _sessions = workshop(world, 10)
    async with world.app().run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f10")
        await pilot.press("k")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, CallDialog)
        await pilot.press("ctrl+s")  # not checked yet
        await settle(pilot)
        assert "Check first" in text(dialog.query_one("#send-error", Static))
        # The survey send's choices: here a sample stratified by age band × gender.
        dialog.query_one("#send-method", Select).value = "stratified"
        await type_into(pilot, "#send-size", "5")
        await pilot.press("ctrl+r")
        await settle(pilot)
        report = text(dialog.query_one("#send-report", Static))
        seed = dialog.query_one("#send-seed", Input).value
        assert seed.isdigit()
        assert "Matching the filter: 12 active participants" in report
        assert "Left out: 2 contacted within the last 30 days" in report
        assert (
            f"Chosen: a sample of 5, stratified by age band × gender in proportion to the panel "
            f"(seed {seed})." in report
        )
        assert "Eligible" in report  # the count per stratum
        chosen = sorted(dialog.plan.chosen)
        assert len(chosen) == 5 and not set(chosen) & set(ids[:2])
        assert dialog.plan.selection.method == "stratified"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, EventsScreen)
        assert any("5 asked to volunteer" in n for n in notes(pilot))
    with world.backend.db.read() as session:
        asked = session.exec(
            select(EventVolunteer.participant_id).where(EventVolunteer.event_id == event_id)
        ).all()
        calls = session.exec(select(Message).where(Message.kind == "event-call")).all()
    assert sorted(asked) == chosen
    assert sorted(m.participant_id for m in calls) == chosen
    assert event_view(world.backend.db, actor=ADMIN, event_id=event_id).asked == 5


async def test_the_draw_shows_strata_and_seed_then_invites(world):
    young = residents(world, 8, prefix="y", birth_year=utcnow().year - 22, gender="female")
    old = residents(world, 16, prefix="o", birth_year=utcnow().year - 66, gender="male")
    event_id, _sessions = workshop(world, 10, 10)
    for participant_id in young + old:
        add_volunteer(world.backend.db, actor=ADMIN, event_id=event_id,
                      participant_id=participant_id)  # fmt: skip
    async with world.app().run_test(size=SIZE) as pilot:
        detail = await open_event(pilot, world, "Min side – verksted")
        assert detail.query_one("#invites", DataTable).row_count == 0
        await pilot.press("d")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, DrawDialog)
        await type_into(pilot, "#draw-size", "6")
        dialog.query_one("#draw-district").value = False  # stratified by age band × gender
        await pilot.press("ctrl+r")
        await settle(pilot)
        plan = dialog.plan
        seed = dialog.query_one("#draw-seed", Input).value
        assert plan is not None and seed == str(plan.seed)
        assert text(dialog.query_one("#draw-explain", Static)) == plan.explain()
        assert "6 of 24 volunteers, stratified by age band × gender" in plan.explain()
        table = dialog.query_one("#draw-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        groups = {row[0]: row for row in rows}
        assert set(groups) == {"16–24 · female", "50–66 · male"}, rows
        assert groups["16–24 · female"][1:] == ["8", "2.0", "2"]
        assert groups["50–66 · male"][1:] == ["16", "4.0", "4"]
        assert "Nobody left out." in text(dialog.query_one("#draw-left-out", Static))
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is detail
        assert any("6 invitations queued" in n for n in notes(pilot))
        invites = detail.query_one("#invites", DataTable)
        assert invites.row_count == 6
        assert {str(invites.get_row_at(i)[1]) for i in range(6)} == {"invited"}
        draws = detail.query_one("#draws", DataTable)
        assert [str(c) for c in draws.get_row_at(0)][:5] == [
            "stratified", "age band, gender", "no", seed, "6 of 24",
        ]  # fmt: skip
        assert plan.explain() in text(detail.query_one("#draw-explained", Static))

        draws.focus()
        await pilot.press("R")
        await settle(pilot)
        assert any("the same 6 people" in n for n in notes(pilot))
    with world.backend.db.read() as session:
        invited = session.exec(
            select(EventInvite.participant_id).where(EventInvite.event_id == event_id)
        ).all()
        letters = session.exec(select(Message).where(Message.kind == "event-invitation")).all()
    assert sorted(invited) == sorted(plan.chosen)
    assert len(letters) == 6


async def test_cancelling_an_invitation_gives_the_place_to_the_waiting_list(world):
    ids = residents(world, 3)
    event_id, (only,) = workshop(world, 1)
    tokens = invite_all(world, event_id, ids)
    db, key = world.backend.db, world.backend.key
    for participant_id in ids[:2]:  # the first gets the place, the second waits
        answer_invite(db, key, tokens[participant_id], session_id=only, mail=mail(world))
    invites = {i.participant_id: i for i in event_view(db, actor=ADMIN, event_id=event_id).invites}
    holder, waiting = invites[ids[0]], invites[ids[1]]
    assert (holder.state, waiting.state) == ("accepted", "waitlisted")
    async with world.app().run_test(size=SIZE) as pilot:
        detail = await open_event(pilot, world, "Min side – verksted")
        sessions = detail.query_one("#sessions", DataTable)
        assert [str(c) for c in sessions.get_row_at(0)][2:6] == ["1", "1", "1", "0"]
        table = detail.query_one("#invites", DataTable)
        assert str(table.get_row(str(waiting.id))[1]) == "waiting list"
        choose(detail, "#invites", holder.id)
        await pilot.press("x")
        await settle(pilot)
        assert "Cancel the invitation of Beboer r00?" in text(
            pilot.app.screen.query_one(".dialog-title", Static)
        )
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is detail
        assert any("1 on the waiting list got the place" in n for n in notes(pilot))
        assert str(table.get_row(str(holder.id))[1]) == "cancelled"
        assert str(table.get_row(str(waiting.id))[1]) == "has a place"
        assert [str(c) for c in sessions.get_row_at(0)][2:6] == ["1", "1", "0", "0"]
    after = {i.id: i.state for i in event_view(db, actor=ADMIN, event_id=event_id).invites}
    assert (after[holder.id], after[waiting.id]) == ("cancelled", "accepted")


async def test_more_places_for_a_session_promote_the_waiting_list(world):
    ids = residents(world, 3)
    event_id, (only,) = workshop(world, 1)
    tokens = invite_all(world, event_id, ids)
    db, key = world.backend.db, world.backend.key
    for participant_id in ids:
        answer_invite(db, key, tokens[participant_id], session_id=only, mail=mail(world))
    async with world.app().run_test(size=SIZE) as pilot:
        detail = await open_event(pilot, world, "Min side – verksted")
        choose(detail, "#sessions", only)
        await pilot.press("E")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, SessionForm)
        assert form.query_one("#se-capacity", Input).value == "1"
        assert form.query_one("#se-label", Input).value == "Økt 1"
        assert form.query_one("#se-place", Input).value == ""  # the event's, not its own
        form.query_one("#se-capacity", Input).value = "3"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is detail
        assert any("2 on the waiting list got a place" in n for n in notes(pilot))
        sessions = detail.query_one("#sessions", DataTable)
        assert [str(c) for c in sessions.get_row_at(0)][2:6] == ["3", "3", "0", "0"]
    assert event_view(db, actor=ADMIN, event_id=event_id).count("accepted") == 3


async def test_attendance_is_marked_after_the_session(world):
    ids = residents(world, 1)
    event_id, (only,) = workshop(world, 5)
    tokens = invite_all(world, event_id, ids)
    db, key = world.backend.db, world.backend.key
    answer_invite(db, key, tokens[ids[0]], session_id=only, mail=mail(world))
    (invite,) = event_view(db, actor=ADMIN, event_id=event_id).invites

    def attended():
        with db.read() as session:
            return session.get(EventInvite, invite.id).attended

    async with world.app().run_test(size=SIZE) as pilot:
        detail = await open_event(pilot, world, "Min side – verksted")
        choose(detail, "#invites", invite.id)
        await pilot.press("m")  # before the session: refused, with the store's word
        await settle(pilot)
        assert any("has not started yet" in n for n in notes(pilot))
        assert attended() is None

        with db.write() as session:  # the session took place yesterday
            row = session.get(EventSession, only)
            row.starts_at = utcnow() - timedelta(days=1)
            row.ends_at = utcnow() - timedelta(hours=22)
            session.add(row)
        await pilot.press("r")
        await settle(pilot)
        table = detail.query_one("#invites", DataTable)
        sessions = detail.query_one("#sessions", DataTable)
        for expected, shown, came in ((True, "came", "1"), (False, "did not come", "0"),
                                      (None, "–", "0")):  # fmt: skip
            choose(detail, "#invites", invite.id)
            await pilot.press("m")
            await settle(pilot)
            assert attended() is expected
            assert str(table.get_row(str(invite.id))[3]) == shown
            assert str(sessions.get_row_at(0)[6]) == came


async def test_volunteers_from_a_survey_and_the_volunteer_list(world):
    from store.models import Answer, Option, Question, Response
    from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec
    from store.surveys import create_survey

    spec = SurveySpec(
        title="Min side", anonymous=False,
        questions=[QuestionSpec("workshop", "single", "Kan vi invitere deg?",
                                options=[OptionSpec("Ja"), OptionSpec("Nei")])],
    )  # fmt: skip
    survey_id = create_survey(world.backend.db, actor=ADMIN, spec=spec)
    create_survey(world.backend.db, actor=ADMIN, spec=SurveySpec(title="Anonym", questions=[]))
    ids = residents(world, 5)
    with world.backend.db.write() as session:
        question = session.exec(select(Question).where(Question.survey_id == survey_id)).one()
        options = {o.label: o.id for o in session.exec(
            select(Option).where(Option.question_id == question.id))}  # fmt: skip
        for n, participant_id in enumerate(ids):
            response = Response(survey_id=survey_id, participant_id=participant_id)
            session.add(response)
            session.flush()
            session.add(Answer(response_id=response.id, question_id=question.id,
                               option_id=options["Ja" if n < 3 else "Nei"]))  # fmt: skip
    event_id, _sessions = workshop(world, 10)
    async with world.app().run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f10")
        await pilot.press("s")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, SurveyVolunteersDialog)
        survey = dialog.query_one("#sv-survey")
        assert [value for _label, value in survey._options if value is not survey.NULL] == [
            survey_id
        ]  # only the survey that names its respondents
        survey.value = survey_id
        await settle(pilot)
        dialog.query_one("#sv-question").value = "workshop"
        await settle(pilot)
        dialog.query_one("#sv-option").value = "Ja"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, EventsScreen)
        assert "3 new volunteers from the survey." in notes(pilot)
        table = pilot.app.screen.query_one("#events", DataTable)
        assert str(table.get_row(str(event_id))[3]) == "3"

        await pilot.press("v")
        await settle(pilot)
        listing = pilot.app.screen
        assert isinstance(listing, VolunteersScreen)
        volunteers = listing.query_one("#volunteers", DataTable)
        assert volunteers.row_count == 3
        row = [str(c) for c in volunteers.get_row(str(ids[0]))]
        assert row[0] == "Beboer r00" and row[4] == f"survey {survey_id}" and row[6] == "no"
        assert "3 volunteers, 0 of them invited." in text(listing.query_one("#volunteers-count"))
        for email in ("nobody@example.no", "R4@example.no"):  # a stranger; one who said no
            await pilot.press("a")
            await settle(pilot)
            pilot.app.screen.query_one(Input).value = email
            await pilot.press("enter")
            await settle(pilot)
        assert "no active participant has the address nobody@example.no" in notes(pilot)
        assert "Added as a volunteer." in notes(pilot)
        assert volunteers.row_count == 4
        assert [str(c) for c in volunteers.get_row(str(ids[4]))][4] == "staff"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, EventsScreen)


async def test_closing_a_workshop_and_opening_it_again(world):
    event_id, _sessions = workshop(world, 10)
    async with world.app().run_test(size=SIZE) as pilot:
        await open_section(pilot, world.admin, "f10")
        table = pilot.app.screen.query_one("#events", DataTable)
        for status in ("closed", "open"):
            await pilot.press("c")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            assert str(table.get_row(str(event_id))[6]) == status
            assert list_events(world.backend.db, actor=ADMIN)[0].status == status


async def test_the_section_is_reached_by_f10_and_the_palette(world):
    workshop(world, 10)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await palette(pilot, "Go to: Workshops")
        assert isinstance(pilot.app.screen, EventsScreen)
        await pilot.press("f2")
        await settle(pilot)
        await palette(pilot, "Workshops: Draw and invite")
        assert isinstance(pilot.app.screen, DrawDialog)
        assert "Min side – verksted" in text(pilot.app.screen.query_one(".dialog-title"))
        await pilot.press("escape")
        await settle(pilot)
        await palette(pilot, "Workshops: Cancel invitation")
        detail = pilot.app.screen
        assert isinstance(detail, EventDetailScreen)  # opened at its invitations
        assert detail.focused is detail.query_one("#invites", DataTable)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(pilot.app.screen, EventDetailScreen)  # where the section was left
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, EventsScreen)
        footer = {
            b.binding.description
            for b in pilot.app.screen.active_bindings.values()
            if b.binding.show
        }
        assert {"New", "Edit", "Session", "Call", "From survey", "Volunteers", "Draw"} <= footer


async def test_analysts_have_no_workshops_section(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.analyst)
        await pilot.press("f10")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, EventsScreen)
