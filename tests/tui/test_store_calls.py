"""A screen's reads: only the newest reaches the screen, though an older one finishes later; a
write's result always does."""

from __future__ import annotations

import threading

from textual.widgets import Static

from tui.screens.base import PanelScreen


async def until(pilot, condition) -> None:
    for _ in range(1000):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("timed out")


class Reader(PanelScreen):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []

    def compose(self):
        yield Static("reader")


async def test_an_older_read_that_ends_last_does_not_paint_over_a_newer_one(world):
    slow_started, slow_may_end = threading.Event(), threading.Event()

    def slow(_backend) -> str:  # read before a change, and slow to come back
        slow_started.set()
        slow_may_end.wait(10)
        return "before the change"

    async with world.app().run_test() as pilot:
        screen = Reader()
        await pilot.app.push_screen(screen)
        screen.load(slow, screen.shown.append)
        await until(pilot, slow_started.is_set)  # the slow read is under way
        screen.load(lambda _backend: "after the change", screen.shown.append)
        await until(pilot, lambda: screen.shown)
        slow_may_end.set()  # the older read comes back now, last
        await until(pilot, lambda: not [w for w in screen.workers if w.is_running])
        await pilot.pause(0.1)
        assert screen.shown == ["after the change"]

        written = threading.Event()

        def write(_backend) -> str:
            written.wait(10)
            return "saved"

        screen.store(write, screen.shown.append)  # writes are never dropped
        screen.store(lambda _backend: "saved again", screen.shown.append)
        written.set()
        await until(pilot, lambda: len(screen.shown) == 3)
        assert sorted(screen.shown[1:]) == ["saved", "saved again"]
