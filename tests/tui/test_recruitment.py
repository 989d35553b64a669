"""Recruitment channels through Pilot: a new channel's link and QR code, the counts per
channel, and the QR code saved as SVG and PNG."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from textual.widgets import DataTable, Input, Static

from store.actors import Actor
from store.models import Participant
from store.recruitment import create_channel
from tui.screens.recruitment import QrScreen, RecruitmentScreen

from .conftest import log_in, settle

SIZE = (100, 40)


async def test_an_editor_makes_a_channel_and_gets_its_link_and_qr_code(world, tmp_path):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await pilot.press("f6")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, RecruitmentScreen)
        assert "No channels yet" in str(screen.query_one("#channel-link", Static).render())
        await pilot.press("a")
        await pilot.press(*"Plakat på Høvik")
        await pilot.press("enter")
        await settle(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, QrScreen)
        url = "http://127.0.0.1:8080/bli-med?kilde=plakat-pa-hovik"
        assert str(modal.query_one("#qr-url", Static).render()) == url
        assert "▀" in str(modal.query_one("#qr", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        table = screen.query_one("#channels", DataTable)
        assert [str(c) for c in table.get_row("plakat-pa-hovik")][:4] == [
            "Plakat på Høvik", "plakat-pa-hovik", "0", "0",
        ]  # fmt: skip
        assert url in str(screen.query_one("#channel-link", Static).render())

        with world.backend.db.write() as session:  # two sign up through it; one confirms
            for n, status in enumerate(("active", "pending")):
                session.add(Participant(name=f"R {n}", email_key=f"r{n}@x.no", status=status,
                                        source="plakat-pa-hovik"))  # fmt: skip
        await pilot.press("r")
        await settle(pilot)
        assert [str(c) for c in table.get_row("plakat-pa-hovik")][2:4] == ["2", "1"]

        for name in ("poster.svg", "poster.png", "poster.txt"):
            await pilot.press("s")
            await settle(pilot)
            pilot.app.screen.query_one("#path", Input).value = str(tmp_path / name)
            await pilot.press("enter")
            await settle(pilot)
    svg = ElementTree.parse(tmp_path / "poster.svg").getroot()
    assert svg.tag.endswith("svg") and url in ElementTree.tostring(svg, encoding="unicode")
    assert (tmp_path / "poster.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not (tmp_path / "poster.txt").exists()  # refused, with a message


async def test_a_label_already_used_is_refused_with_a_message(world):
    create_channel(world.backend.db, actor=Actor.operator(), label="Budstikka")
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("a")
        await pilot.press(*"Budstikka")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RecruitmentScreen)
        messages = [str(n.message) for n in pilot.app._notifications]
        assert any("taken" in message for message in messages), messages
        assert pilot.app.screen.query_one("#channels", DataTable).row_count == 1


async def test_analysts_have_no_recruitment_section(world):
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.analyst)
        await pilot.press("f6")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, RecruitmentScreen)
