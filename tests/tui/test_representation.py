"""Who the panel is missing, through Pilot: the tables, their flags, and the tab keys."""

from __future__ import annotations

from textual.widgets import DataTable, Static, TabbedContent

from store.actors import Actor
from store.models import Participant
from store.population import import_population
from store.timeutil import utcnow
from tui.screens.representation import RepresentationScreen

from .conftest import log_in, settle

SIZE = (80, 24)
POPULATION = """\
district,gender,age_band,count
Jar,female,16–24,100
Jar,male,16–24,100
Jar,female,50–66,200
Jar,male,50–66,200
Sandvika,female,16–24,50
Sandvika,male,16–24,50
Sandvika,female,50–66,150
Sandvika,male,50–66,150
"""
UNDER = "▼ under-represented"


def add_panel(world) -> None:
    """Eight with known values beside the fixture's four blank ones: few young, few men."""
    year = utcnow().year
    people = [(20, "female", "Jar", "Facebook")]
    people += [(55, "female", "Jar", "Budstikka")] * 3
    people += [(55, "female", "Sandvika", "Budstikka")] * 3
    people += [(55, "male", "Sandvika", "Budstikka")]
    with world.backend.db.write() as session:
        for n, (age, gender, district, source) in enumerate(people):
            session.add(
                Participant(
                    name=f"Q {n}",
                    email_key=f"q{n}@x.no",
                    status="active",
                    birth_year=year - age,
                    gender=gender,
                    district=district,
                    source=source,
                )
            )


def load_population(world, tmp_path) -> None:
    path = tmp_path / "population.csv"
    path.write_text(POPULATION, encoding="utf-8")
    import_population(world.backend.db, actor=Actor.operator(), path=path, source_note="test")


def row(screen, table: str, key: str) -> list[str]:
    return [str(cell) for cell in screen.query_one(f"#table-{table}", DataTable).get_row(key)]


async def open_screen(pilot) -> RepresentationScreen:
    await pilot.app.push_screen(RepresentationScreen())
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RepresentationScreen)
    return screen


async def test_an_analyst_sees_who_is_missing(world, tmp_path):
    add_panel(world)
    load_population(world, tmp_path)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.analyst)
        screen = await open_screen(pilot)
        summary = str(screen.query_one("#representation-summary", Static).render())
        assert "11 active participants against 1\u202f000 residents (test)" in summary

        # 1 of 8 is aged 16–24 against 30% of residents: ratio 0.42, flagged.
        assert row(screen, "age", "16–24") == ["16–24", "1", "12.5%", "30.0%", "0.42", UNDER]
        assert row(screen, "age", "50–66") == ["50–66", "7", "87.5%", "70.0%", "1.25", ""]
        note = str(screen.query_one("#note-age", Static).render())
        assert "3 active participants with no birth year" in note

        await pilot.press("2")
        assert screen.query_one(TabbedContent).active == "gender"
        assert row(screen, "gender", "male") == ["male", "1", "12.5%", "50.0%", "0.25", UNDER]
        assert row(screen, "gender", "female")[-1] == ""
        assert row(screen, "gender", "other")[3:] == ["–", "–", ""]

        await pilot.press("3")
        assert screen.query_one(TabbedContent).active == "district"
        assert row(screen, "district", "Jar") == ["Jar", "4", "50.0%", "60.0%", "0.83", ""]
        assert row(screen, "district", "Sandvika")[-1] == ""

        await pilot.press("4")
        assert screen.query_one(TabbedContent).active == "sources"
        sources = screen.query_one("#table-sources", DataTable)
        first = [str(cell) for cell in sources.get_row_at(0)]
        assert first == ["Budstikka", "0.0%", "0", "0", "0", "7", "0", "0", "7"]
        everyone = [str(cell) for cell in sources.get_row("all")]
        assert everyone == ["All sources", "12.5%", "1", "0", "0", "7", "0", "4", "12"]
        assert screen.focused is sources

        await pilot.press("1")
        assert screen.query_one(TabbedContent).active == "age"


async def test_without_a_population_staff_are_told_how_to_load_one(world):
    add_panel(world)
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        screen = await open_screen(pilot)
        summary = str(screen.query_one("#representation-summary", Static).render())
        assert "No population figures are loaded" in summary
        assert "panel population import FILE" in summary
        assert row(screen, "age", "16–24") == ["16–24", "1", "12.5%", "–", "–", ""]
        # The tab bar has the focus first: the arrow keys move between the tabs.
        await pilot.press("right")
        assert screen.query_one(TabbedContent).active == "gender"
