"""Workshop email as residents get it: a call, an invitation and a place with their links and
calendar files, sent by the dispatcher to a real SMTP server; the worker's reminder the day
before."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlmodel import select

from store.events import plan_call, queue_call
from store.models import EventSession, Participant
from store.rsvp import answer_call, answer_invite, rsvp_view
from store.sampling import Selection
from store.timeutil import utcnow
from tests.cli.helpers import PANEL
from tests.mail.test_guarantees import worker_env
from tests.store.test_events import ADMIN, invited, workshop

BASE = "https://p.example"  # as tests.store.test_events.MAIL writes links


def _calendar(message) -> icalendar.Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename().endswith(".ics")
    return icalendar.Calendar.from_ical(part.get_content())


async def test_a_call_then_an_invitation_and_a_place_arrive_with_links_and_calendar(
    db, key, smtp, dispatcher
) -> None:
    from tests.store.test_events import MAIL

    with db.write() as session:
        for name, email, language in (("Åse Ødegård", "ase@example.no", "nb"),
                                      ("Emma Smith", "emma@example.no", "en")):  # fmt: skip
            session.add(Participant(name=name, email=email, email_key=email, language=language,
                                    status="active"))  # fmt: skip
    event_id, (only,) = workshop(db, 10)
    plan = plan_call(db, actor=ADMIN, event_id=event_id, selection=Selection(rest_days=0))
    queue_call(db, key, actor=ADMIN, event_id=event_id, plan=plan, mail=MAIL)
    assert (await dispatcher().run(once=True)).sent == 2
    calls = {r.rcpt_tos[0]: r.message for r in smtp.received}
    assert calls["emma@example.no"]["Subject"].startswith("Would you like to help shape")
    text = calls["ase@example.no"].get_body(("plain",)).get_content()
    assert "Hei Åse Ødegård," in text and "[[" not in str(calls["ase@example.no"])
    call = re.search(rf"{BASE}/frivillig/(\S+)", text)
    assert call and calls["ase@example.no"]["List-Unsubscribe"].startswith(f"<{BASE}/u/")
    assert answer_call(db, key, call.group(1), yes=True).answer == "yes"

    with db.read() as session:
        ase = session.exec(select(Participant).where(Participant.email == "ase@example.no")).one()
    token = invited(db, key, event_id, [ase.id])[ase.id]  # drawn and invited
    smtp.received.clear()
    assert (await dispatcher().run(once=True)).sent == 1
    (invitation,) = [r.message for r in smtp.received]
    assert invitation["Subject"] == "Invitasjon: Min side – verksted"
    body = invitation.get_body(("plain",)).get_content()
    assert f"{BASE}/delta/{token}" in body
    assert f'href="{BASE}/delta/{token}"' in invitation.get_body(("html",)).get_content()
    with db.read() as session:
        row = session.get(EventSession, only)
    (entry,) = _calendar(invitation).walk("VEVENT")  # one session: its calendar file
    assert entry.decoded("dtstart") == row.starts_at and entry.decoded("dtend") == row.ends_at

    smtp.received.clear()
    answer_invite(db, key, token, session_id=only, mail=MAIL)
    assert (await dispatcher().run(once=True)).sent == 1
    (place,) = [r.message for r in smtp.received]
    assert place["Subject"] == "Du er påmeldt: Min side – verksted"
    assert f"{BASE}/delta/{token}" in place.get_body(("plain",)).get_content()
    (entry,) = _calendar(place).walk("VEVENT")
    assert str(entry["summary"]) == "Min side – verksted – Økt 1"
    assert str(entry["uid"]).startswith(f"panel-session-{only}@")


def test_the_worker_reminds_those_with_a_place_the_day_before(db, key, smtp) -> None:
    from tests.store.test_events import MAIL, people

    ids = people(db, 3, gender="female", birth_year=1980)
    event_id, (soon,) = workshop(db, 5, days=1)
    tokens = invited(db, key, event_id, ids)
    answer_invite(db, key, tokens[ids[0]], session_id=soon, mail=MAIL)
    answer_invite(db, key, tokens[ids[1]], session_id=None, mail=MAIL)
    with db.write() as session:  # the session starts tomorrow evening, Norwegian time
        row = session.get(EventSession, soon)
        oslo = ZoneInfo("Europe/Oslo")
        day = utcnow().astimezone(oslo).date() + timedelta(days=1)
        tomorrow = datetime.combine(day, time(18), oslo)
        row.starts_at, row.ends_at = tomorrow, tomorrow + timedelta(hours=2)
        session.add(row)
    env = worker_env(db, key, smtp, PANEL_BASE_URL=BASE)
    for _round in range(2):  # a second round reminds nobody again
        subprocess.run([PANEL, "worker", "--once"], env=env, capture_output=True, text=True,
                       timeout=120, check=True)  # fmt: skip
    reminders = [r for r in smtp.received if r.message["Subject"].startswith("Påminnelse")]
    with db.read() as session:
        booked = session.get(Participant, ids[0]).email
    assert [r.rcpt_tos[0] for r in reminders] == [booked]
    message = reminders[0].message
    assert f"{BASE}/delta/{tokens[ids[0]]}" in message.get_body(("plain",)).get_content()
    assert _calendar(message).walk("VEVENT")
    assert rsvp_view(db, key, tokens[ids[0]]).state == "accepted"


def test_a_place_freed_by_someone_leaving_goes_to_the_next_in_line_at_the_workers_round(
    db, key, smtp
) -> None:
    from store.links import unsubscribe_code
    from store.residents import Choice, choose
    from tests.store.test_events import MAIL, people

    holder, waiting = people(db, 2, gender="male", birth_year=1990)
    event_id, (only,) = workshop(db, 1)
    tokens = invited(db, key, event_id, [holder, waiting])
    answer_invite(db, key, tokens[holder], session_id=only, mail=MAIL)
    answer_invite(db, key, tokens[waiting], session_id=only, mail=MAIL)
    choose(db, key, holder, unsubscribe_code(key, holder), Choice.leave)
    subprocess.run([PANEL, "worker", "--once"], env=worker_env(db, key, smtp, PANEL_BASE_URL=BASE),
                   capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    assert rsvp_view(db, key, tokens[waiting]).state == "accepted"
    with db.read() as session:
        address = session.get(Participant, waiting).email
    (place,) = [r.message for r in smtp.received
                if r.message["Subject"].startswith("Du har fått plass")]  # fmt: skip
    assert place["To"] == address
    assert f"{BASE}/delta/{tokens[waiting]}" in place.get_body(("plain",)).get_content()
    (entry,) = _calendar(place).walk("VEVENT")
    assert str(entry["uid"]).startswith(f"panel-session-{only}@")
    # The one who left was written to no more.
    with db.read() as session:
        gone = session.get(Participant, holder).email
    assert gone not in {r.rcpt_tos[0] for r in smtp.received}
