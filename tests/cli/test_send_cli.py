"""`panel send` and `panel remind` as an operator runs them, on a panel imported from a file."""

from __future__ import annotations

import sqlite3

from store.actors import Actor
from store.db import Database
from store.surveys import set_survey_status

from .helpers import panel
from .test_survey_commands import init

PEOPLE = """navn;epost;kjønn;fødselsår;bosted
Kari Nordmann;kari@example.no;kvinne;1980;Bekkestua
Ola Nordmann;ola@example.no;mann;1975;Sandvika
Åse Ødegård;ase@example.no;kvinne;2001;Fornebu
"""


SURVEY = """title: Sykkelveier
questions:
  - id: bike
    kind: single
    text: Sykler du?
    options: [Ja, Nei]
"""


def counts(tmp_path) -> tuple[int, int, list[str]]:
    database = sqlite3.connect(tmp_path / "panel.db")
    try:
        invited = database.execute("SELECT count(*) FROM invitation").fetchone()[0]
        kinds = [row[0] for row in database.execute("SELECT kind FROM message ORDER BY id")]
        return invited, len(kinds), kinds
    finally:
        database.close()


def test_send_then_remind(tmp_path):
    env = init(tmp_path)
    people = tmp_path / "folk.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    assert panel("import", str(people), env=env).returncode == 0
    survey = tmp_path / "sykkel.yaml"
    survey.write_text(SURVEY, encoding="utf-8")
    assert panel("survey", "import", str(survey), env=env).stdout == "1\n"
    closed = panel("send", "1", env=env)
    assert closed.returncode != 0 and "draft" in closed.stderr  # a draft is not sent
    db = Database(f"sqlite:///{tmp_path / 'panel.db'}")
    set_survey_status(db, actor=Actor.operator(), survey_id=1, status="open")
    db.dispose()

    dry = panel("send", "1", "--dry-run", "--rest-days", "0", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: nothing was written." in dry.stdout and counts(tmp_path)[0] == 0
    sent = panel("send", "1", "--rest-days", "0", "--seed", "7", env=env)
    assert sent.returncode == 0, sent.stderr
    assert "Queued 3 invitations" in sent.stdout
    assert counts(tmp_path) == (3, 3, ["invitation"] * 3)
    again = panel("send", "1", "--rest-days", "0", env=env)
    assert "Nobody to invite." in again.stdout  # those invited are left out

    reminded = panel("remind", "1", env=env)
    assert reminded.returncode == 0 and "Queued 3 reminders." in reminded.stdout
    due = panel("remind", "1", "--due", env=env)  # the survey has no reminder schedule
    assert due.returncode == 0 and "Queued 0 reminders." in due.stdout
    assert counts(tmp_path)[2] == ["invitation"] * 3 + ["reminder"] * 3
