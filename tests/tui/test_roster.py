"""The roster through Pilot: search as you type, filters, sorting, scrolling, add and edit."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Input, Select, Static

from store.models import AuditEvent, Interest, Participant
from tui.screens.participant import ParticipantScreen
from tui.screens.roster import RosterScreen
from tui.widgets.roster_table import RosterTable

from .conftest import log_in, settle

SIZE = (120, 30)
NAMES = ["Åse Ødegård", "Ørjan Berg", "Kari Nordmann", "Ola Nordmann", "Per Hansen"]


def add_people(world, extra: int = 60) -> None:
    with world.backend.db.write() as session:
        session.add(Interest(name="Klima og miljø"))
        for n, name in enumerate(NAMES):
            session.add(
                Participant(
                    name=name,
                    email=f"p{n}@example.no",
                    email_key=f"p{n}@example.no",
                    status="active",
                    district="Jar" if n % 2 else "Sandvika",
                    birth_year=2004 if n == 0 else 1970,
                    gender="female",
                )
            )
        for n in range(extra):
            session.add(
                Participant(
                    name=f"Test Person {n:03}",
                    email=f"t{n}@example.no",
                    email_key=f"t{n}@example.no",
                    status="active",
                    district="Fornebu",
                )
            )


def rows(screen) -> list[str]:
    table = screen.query_one(RosterTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def count_text(screen) -> str:
    return str(screen.query_one("#roster-count", Static).render())


async def open_roster(pilot) -> RosterScreen:
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RosterScreen)
    return screen


async def test_roster_loads_only_the_window_and_counts_everyone(world):
    add_people(world)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        screen = await open_roster(pilot)
        table = screen.query_one(RosterTable)
        assert count_text(screen) == "69 of 69"  # 4 from the fixture + 5 + 60
        assert table.row_count == table.visible < 69
        assert rows(screen)[0] == "Kari Nordmann"  # sorted by name; "P 0".. sort after "O"
        # Scroll to the end with the keyboard: rows come in as needed.
        await pilot.press("end")
        await settle(pilot)
        assert table.position == 68
        assert table.selected() is not None
        assert rows(screen)[-1] == "Ørjan Berg"  # byte order: Å (C3 85) before Ø (C3 98)


async def test_search_as_you_type_finds_norwegian_letters_in_any_case(world):
    add_people(world)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        screen = await open_roster(pilot)
        await pilot.press("slash")
        await pilot.press(*"ødegå")
        await settle(pilot)
        assert rows(screen) == ["Åse Ødegård"]
        assert count_text(screen).startswith("1 of")
        search = screen.query_one("#roster-search", Input)
        search.value = "NORDMANN"
        await settle(pilot)
        assert rows(screen) == ["Kari Nordmann", "Ola Nordmann"]
        search.value = "p3@example"
        await settle(pilot)
        assert rows(screen) == ["Ola Nordmann"]


async def test_filters_and_sort(world):
    add_people(world)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        screen = await open_roster(pilot)
        await pilot.press("f")
        await settle(pilot)
        dialog = pilot.app.screen
        dialog.query_one("#filter-district", Select).value = "Jar"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert sorted(rows(screen)) == ["Ola Nordmann", "Ørjan Berg"]
        assert "District: Jar" in str(screen.query_one("#roster-filters", Static).render())
        await pilot.press("c")  # clear
        await settle(pilot)
        screen.filter = screen.filter.with_(age_band="16–24")
        screen.reload()
        await settle(pilot)
        assert rows(screen) == ["Åse Ødegård"]


async def test_add_and_edit_a_participant(world):
    add_people(world, extra=0)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await open_roster(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ParticipantScreen)
        form.query_one("#p-name", Input).value = "Nina Nilsen"
        form.query_one("#p-email", Input).value = "not an address"
        form.query_one("#p-birth_year", Input).value = "31"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused with the field named; nothing typed is lost.
        assert pilot.app.screen is form
        assert "email" in str(form.query_one("#participant-error", Static).render())
        assert form.query_one("#p-name", Input).value == "Nina Nilsen"
        form.query_one("#p-email", Input).value = "Nina@Example.no"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RosterScreen)
    with world.backend.db.read() as session:
        nina = session.exec(select(Participant).where(Participant.name == "Nina Nilsen")).one()
        events = list(session.exec(select(AuditEvent.action)))
    assert nina.email_key == "nina@example.no" and nina.status == "active"
    assert nina.birth_year is not None and nina.consent_note.startswith("registered by staff")
    assert "participant.created" in events

    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.analyst)  # analysts never reach the roster
        await pilot.press("f3")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, RosterScreen)


async def test_admin_exports_a_participants_data_and_erases_them(world):
    import json
    from pathlib import Path

    add_people(world, extra=0)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        screen = await open_roster(pilot)
        await pilot.press("slash", *"ødegå", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ParticipantScreen)
        assert form.query_one("#p-name", Input).value == "Åse Ødegård"
        await pilot.press("f5")
        await settle(pilot)
        exported = sorted(Path.home().glob("innsyn-*"))
        assert [p.suffix for p in exported] == [".json", ".txt"]
        assert json.loads(exported[0].read_text())["participant"]["name"] == "Åse Ødegård"
        assert exported[0].stat().st_mode & 0o077 == 0
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is screen
        await settle(pilot)
        assert rows(screen) == []
    with world.backend.db.read() as session:
        erased = session.exec(select(Participant).where(Participant.status == "erased")).one()
    assert erased.name is None and erased.email is None


async def test_editors_cannot_erase(world, key):
    from store.roles import Role
    from tests.factories import make_staff

    add_people(world, extra=0)
    editor = make_staff(world.backend.db, world.backend.key, "edna", Role.editor)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, editor)
        await open_roster(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ParticipantScreen)
        assert form.check_action("erase", ()) is False
        await pilot.press("f6")
        await settle(pilot)
        assert pilot.app.screen is form  # no confirmation asked, nothing erased
