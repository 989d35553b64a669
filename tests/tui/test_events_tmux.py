"""Workshops in the real `panel` command, in tmux: F10, a new workshop and a session by keys;
a draw among the demo's volunteers, checked and then invited."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from store.timeutil import utcnow

from .test_tmux import own_demo, tmux_session  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.tmux


def test_make_a_workshop_and_a_session_by_keys(tmp_path_factory, tmux_session):  # noqa: F811
    session = own_demo(tmp_path_factory, tmux_session, width=120, height=40)

    session.send("F10")
    listed = session.wait_for("First session")  # the list's header row
    assert "Workshops" in listed
    session.wait_for("Draw")  # the footer, once painted: its keys are ready
    session.send("n")
    session.wait_for("New workshop")
    session.type("Sykkelverksted på Fornebu")
    session.send("Tab")
    session.type("Vi tegner nye sykkelveier sammen.")
    session.send("Tab")
    session.type("Fornebu skole")
    session.send("C-s")
    session.wait_for(re.compile(r"Sykkelverksted på Fornebu\s+–\s+0\s+0\s+0\s+0\s+open"))

    day = (utcnow() + timedelta(days=40)).date().isoformat()
    session.send("a")
    session.wait_for("New session")
    for value in ("Kveld", day, "18:00", "20:30", "25"):
        session.type(value)
        session.send("Enter")  # on to the next field
        time.sleep(0.1)
    session.type("Gymsalen")
    session.send("Enter")  # the last field: Enter saves
    session.wait_for("Session added.")
    listed = session.wait_for(re.compile(rf"Sykkelverksted på Fornebu\s+{day} 18:00\s+1\s"))
    assert "Traceback" not in listed

    session.send("Enter")  # the selected workshop: the new one
    detail = session.wait_for(f"{day} 18:00–20:30")
    assert "Vi tegner nye sykkelveier sammen." in detail
    when = re.escape(f"{day} 18:00–20:30")
    assert re.search(rf"Kveld\s+{when}\s+25\s+0\s+0\s+25\s+0\s+Gymsalen", detail), detail
    assert "Status: open · Place: Fornebu skole" in detail
    last = [line for line in detail.splitlines() if line.strip()][-1]
    assert last.startswith(" E Edit session"), f"no footer with the sessions keys:\n{detail}"
    session.send("Escape")
    session.wait_for("First session")


def test_draw_and_invite_volunteers_by_keys(tmp_path_factory, tmux_session):  # noqa: F811
    session = own_demo(tmp_path_factory, tmux_session, width=120, height=40)

    session.send("F10")
    session.wait_for(re.compile(r"Min side – brukertest og verksted.*\s20\s"))
    session.wait_for("Draw")  # the footer: the keys are ready
    session.send("Enter")  # the demo's one workshop
    session.wait_for("Verksted 2")
    session.send("d")
    session.wait_for("Draw and invite")
    session.type("5")
    session.send("C-r")
    shown = session.wait_for(re.compile(r"5 of (\d+) volunteers, stratified"))
    pool = int(re.search(r"5 of (\d+) volunteers", shown).group(1))
    assert pool == 39 - 20  # those not yet invited
    assert re.search(r"seed \d+", shown) and "Chosen" in shown
    session.send("C-s")
    session.wait_for("Invite 5 people now?")
    session.send("y")
    done = session.wait_for("5 invitations queued")
    assert "Traceback" not in done
    # The detail now holds 25 invitations, and the draw is recorded beside the demo's.
    detail = session.wait_for(re.compile(r"5 of 19\b"))
    assert "2019" in detail  # the demo's own draw, with its seed
