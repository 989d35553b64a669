"""`panel event`: the workshops at the shell, and each draw repeated from its record."""

from __future__ import annotations

from store.db import Database
from store.event_draw import DrawRequest, invite_drawn, plan_draw
from store.events import add_volunteer
from store.models import EventDraw
from store.secrets import ServerKey
from tests.store.test_events import ADMIN, MAIL, people, workshop

from .helpers import panel
from .test_survey_commands import init


def test_list_and_show_with_the_draw_repeated(tmp_path):
    env = init(tmp_path)
    assert "No events yet" in panel("event", "list", env=env).stdout
    db = Database(f"sqlite:///{tmp_path / 'panel.db'}")
    key = ServerKey.from_file(tmp_path / "server.key")
    event_id, _sessions = workshop(db, 4, 6)
    for participant_id in people(db, 8, gender="female", birth_year=1990):
        add_volunteer(db, actor=ADMIN, event_id=event_id, participant_id=participant_id)
    request = DrawRequest(size=5, strata=("age_band", "gender"), seed=42)
    plan = plan_draw(db, actor=ADMIN, event_id=event_id, request=request)
    invite_drawn(db, key, actor=ADMIN, plan=plan, mail=MAIL)

    listed = panel("event", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"{event_id}  Min side – verksted (open): 2 sessions" in listed.stdout
    assert "8 volunteered, 5 invited, 0 with a place" in listed.stdout
    shown = panel("event", "show", str(event_id), env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Økt 1" in shown.stdout and "0 of 4 places taken" in shown.stdout
    assert (
        "5 of 8 volunteers, stratified by age band × gender, seats in proportion to the volunteers"
        in shown.stdout
    )
    assert "seed 42" in shown.stdout and "the same people" in shown.stdout
    with db.write() as session:  # someone edits the record: the repeat says so
        draw = session.get(EventDraw, plan_id(db))
        draw.chosen = list(reversed(draw.chosen))
        session.add(draw)
    tampered = panel("event", "show", str(event_id), env=env)
    assert tampered.returncode == 1 and "NOT the same people" in tampered.stdout
    missing = panel("event", "show", "999", env=env)
    assert missing.returncode == 1 and "999" in missing.stderr
    db.dispose()


def plan_id(db) -> int:
    from sqlmodel import select

    with db.read() as session:
        return session.exec(select(EventDraw.id)).one()
