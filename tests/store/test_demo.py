"""The demo data looks like Bærum's real panel: its size, districts, ages and channels."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pyotp
from sqlmodel import select

from mail.compose import event_mail
from store.actors import Actor
from store.auth import authenticate
from store.demo import PARTICIPANTS, SOURCES, build_demo, demo_totp_secret
from store.models import Participant, ParticipantInterest
from store.reference import BAERUM_DISTRICTS, age_band
from store.survey_spec import KINDS, problems
from store.surveys import get_survey, list_surveys

MAIL = event_mail(mail_from="Bærum kommune <panel@baerum.kommune.no>", base_url="http://demo")


def test_demo_panel(db, key):
    login = build_demo(db, key, mail=MAIL)
    with db.read() as session:
        people = list(session.exec(select(Participant)))
        links = list(session.exec(select(ParticipantInterest)))
    assert len(people) == PARTICIPANTS
    assert len({p.email_key for p in people}) == PARTICIPANTS
    assert all(p.email and p.email.lower() == p.email_key for p in people)
    assert {p.district for p in people} == set(BAERUM_DISTRICTS)
    assert {p.source for p in people} == set(SOURCES)
    assert any(
        "ø" in (p.name or "") or "å" in (p.name or "") or "æ" in (p.name or "") for p in people
    )
    statuses = Counter(p.status for p in people)
    assert statuses["active"] > 0.75 * PARTICIPANTS
    assert statuses["paused"] and statuses["unsubscribed"] and statuses["pending"]
    bands = Counter(age_band(p.birth_year, datetime.now(UTC).year) for p in people)
    # Young adults are scarce, as in the real panel: the smallest band of all.
    assert bands["16–24"] == min(bands.values())
    assert bands["16–24"] < 0.10 * PARTICIPANTS
    assert len(links) >= PARTICIPANTS

    rows = list_surveys(db, actor=Actor.operator())  # newest first
    assert [(r.title, r.status, r.anonymous) for r in rows] == [
        ("Klima i Bærum", "closed", True),
        ("Våre nettsider", "closed", True),
        ("Bli med og test Min side", "closed", False),
    ]
    assert [(r.opens_on.isoformat(), r.closes_on.isoformat()) for r in rows] == [
        ("2019-10-14", "2019-11-01"),
        ("2019-09-09", "2019-09-27"),
        ("2019-06-03", "2019-06-21"),
    ]
    specs = [get_survey(db, actor=Actor.operator(), survey_id=r.id).spec for r in rows]
    assert [len(spec.questions) for spec in specs] == [r.questions for r in rows] == [7, 6, 7]
    assert all(problems(spec) == [] for spec in specs)
    assert {q.kind for spec in specs for q in spec.questions} == set(KINDS)
    klima = specs[0]
    assert [q.key for q in klima.questions] == [
        "aware", "worry", "worry_most", "measures", "car_days", "habits", "ideas"
    ]  # fmt: skip
    worry = klima.question("worry")
    assert worry is not None
    assert (worry.min_value, worry.max_value) == (1, 5)
    assert (worry.min_label, worry.max_label) == ("Ikke bekymret", "Svært bekymret")
    assert klima.question("ideas").show_if == {"aware": ["Ja"]}
    assert klima.question("worry_most").show_if == {"worry": ["4", "5"]}

    # The surveys carry answers: the climate survey from 68 percent of those it reached.
    from store.results import survey_results

    results = {r.title: survey_results(db, actor=Actor.operator(), survey_id=r.id) for r in rows}
    klima_results = results["Klima i Bærum"]
    assert klima_results.progress.rate == 0.68 and klima_results.responses == 204
    assert results["Våre nettsider"].responses == 18
    assert results["Bli med og test Min side"].responses == 45
    by_key = {q.key: q for q in klima_results.questions}
    assert by_key["aware"].respondents == 204  # required: everyone answered it
    shown = [s.count for s in by_key["aware"].shares]
    assert all(c is not None for c in shown) and sum(shown) == 204
    ideas = by_key["ideas"].texts
    aware_yes = by_key["aware"].shares[0].count
    assert 0 < ideas <= aware_yes  # asked only of those who know the strategy

    from store.publishing import published, report

    assert [p.title for p in published(db)] == ["Klima i Bærum"]
    assert len(report(db, rows[0].id).quotes) == 3

    code = pyotp.TOTP(demo_totp_secret(db, key, username=login.username)).now()
    actor = authenticate(db, key, username=login.username, password=login.password, code=code)
    assert actor.role == "admin"


def test_demo_is_reproducible(db, key, tmp_path):
    from store.db import Database
    from store.migrate import upgrade

    build_demo(db, key, mail=MAIL)
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    build_demo(other, key, mail=MAIL)
    names = []
    for database in (db, other):
        with database.read() as session:
            names.append(sorted(session.exec(select(Participant.name))))
    other.dispose()
    assert names[0] == names[1]


def test_the_min_side_workshops_as_the_seed_tells_them(db, key):
    """39 volunteered in the "Min side" survey, 20 were drawn and invited to two workshops."""
    from store.event_draw import repeat_draw
    from store.events import event_view, list_events, volunteer_list
    from store.models import Message

    build_demo(db, key, mail=MAIL)
    admin = Actor.operator()
    (event,) = list_events(db, actor=admin)
    view = event_view(db, actor=admin, event_id=event.id)
    assert view.volunteers == 39 and len(volunteer_list(db, actor=admin, event_id=event.id)) == 39
    assert len(view.sessions) == 2 and all(s.capacity == 10 for s in view.sessions)
    assert len(view.invites) == 20 and len(view.draws) == 1
    assert view.draws[0].pool == 39 and view.draws[0].chosen == 20
    assert repeat_draw(db, actor=admin, draw_id=view.draws[0].id)[0]
    assert [s.accepted for s in view.sessions] == [9, 6]
    assert view.count("declined") == 2 and view.count("invited") == 3
    with db.read() as session:
        kinds = Counter(m.kind for m in session.exec(select(Message)))
    assert kinds["event-invitation"] == 20 and kinds["event-place"] == 15
