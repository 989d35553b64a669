"""A real terminal resized mid-edit, then the connection dropped (the terminal closed, so
`panel` gets SIGHUP): the typing comes back at the next login, and nothing saved changed."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.tui.test_tmux import (
    TITLE_EN,
    demo_env,
    demo_password,
    log_in,
    run_panel,
    start_demo,
    tmux_session,  # noqa: F401 - the fixture is used by name
)

pytestmark = pytest.mark.tmux


def open_first(session) -> None:
    """Open the first survey of the list in the editor, once the list has taken the keys."""
    session.wait_for(re.compile(r"Klima i Bærum\s+closed"))  # the newest survey, first row
    for _attempt in range(3):
        session.send("Enter")
        try:
            session.wait_for("f5 Preview", timeout=8)  # the editor, the title field focused
            return
        except AssertionError:
            continue  # the list had not the focus yet
    session.wait_for("f5 Preview")


def test_resized_then_cut_off_mid_edit_the_typing_comes_back(tmp_path_factory, tmux_session):  # noqa: F811
    home = tmp_path_factory.mktemp("drop-home")
    run_panel("demo", "--no-app", env=demo_env(home))
    env = demo_env(home, PANEL_LANGUAGE="en")
    session = tmux_session(env)
    secret = start_demo(session, width=110, height=34)
    session.wait_for(TITLE_EN)
    log_in(session, "demo", demo_password(home), pyotp.TOTP(secret).now())
    session.wait_for("Logged in as demo")
    session.send("F4")
    open_first(session)
    session.send("End")
    session.type(" – utkast")
    session.wait_for("Klima i Bærum – utkast")

    for width, height in ((80, 24), (110, 34)):  # the staff member's window changes size
        session.tmux("resize-window", "-t", "panel", "-x", str(width), "-y", str(height))
        screen = session.wait_for("Klima i Bærum – utkast")
        assert "Traceback" not in screen

    kept = home / ".local" / "state" / "panel" / "unsaved"
    deadline = time.monotonic() + 30
    while not any(kept.glob("demo.survey-*.json")):  # the editor keeps it every few seconds
        assert time.monotonic() < deadline, "the typing was never kept"
        time.sleep(0.2)
    session.tmux("kill-session", "-t", "panel")  # the terminal goes: SIGHUP to panel

    from store.db import Database
    from store.surveys import list_surveys

    db = Database(f"sqlite:///{home / 'demo' / 'panel.db'}")
    try:
        from store.actors import Actor

        titles = [s.title for s in list_surveys(db, actor=Actor.operator())]
    finally:
        db.dispose()
    assert "Klima i Bærum" in titles and "Klima i Bærum – utkast" not in titles  # not saved

    again = tmux_session(env)
    start_demo(again, width=110, height=34)
    again.wait_for(TITLE_EN)
    # The code of the next step: the one just used is spent.
    log_in(again, "demo", demo_password(home), pyotp.TOTP(secret).at(time.time() + 30))
    note = again.wait_for("Kept for you")
    assert "utkast" in note
    again.send("F4")
    open_first(again)
    screen = again.wait_for("are back")
    assert "Klima i Bærum – utkast" in screen
