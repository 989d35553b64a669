"""Workshops on the residents' site, over HTTP on both engines: the invitation's page (a place,
the waiting list, no), its calendar file, and the call for volunteers' page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlmodel import select

from mail.compose import session_when as _when
from store.events import (
    SessionFacts,
    add_session,
    call_token,
    plan_call,
    queue_call,
    set_status,
)
from store.models import EventInvite, EventSession, EventVolunteer, Message
from store.sampling import Selection
from store.timeutil import utcnow
from tests.store.test_events import MAIL, invited, workshop
from tests.web.conftest import ADMIN, csrf_of, make_world

UNKNOWN = "A" * 32


@dataclass
class Workshop:
    event_id: int
    first: int  # one place
    second: int  # five places
    tokens: dict[str, str]  # email → the invitation's token
    call_event: int
    calls: dict[str, str]  # email → the call for volunteers' token
    other_session: int  # a session of another event

    def rsvp(self, email: str) -> str:
        return f"/delta/{self.tokens[email]}"

    def call(self, email: str) -> str:
        return f"/frivillig/{self.calls[email]}"


@pytest.fixture
def world(db, key):
    """Five residents (p0 writes in English, the others in Bokmål)."""
    return make_world(db, key, people=5)


def make_workshop(world) -> Workshop:
    db, key = world.db, world.key
    event_id, (first, second) = workshop(db, 1, 5)
    by_id = invited(db, key, event_id, list(world.people.values()))
    emails = {v: k for k, v in world.people.items()}
    call_event, _ = workshop(db, 10)
    plan = plan_call(db, actor=ADMIN, event_id=call_event,
                     selection=Selection(rest_days=0))  # fmt: skip
    queue_call(db, key, actor=ADMIN, event_id=call_event, plan=plan, mail=MAIL)
    with db.read() as session:
        rows = session.exec(
            select(EventVolunteer).where(EventVolunteer.event_id == call_event)
        ).all()
        calls = {emails[r.participant_id]: call_token(key, r.link_salt) for r in rows}
    _other, (other_session,) = workshop(db, 3)
    tokens = {emails[i]: token for i, token in by_id.items()}
    return Workshop(event_id, first, second, tokens, call_event, calls, other_session)


@pytest.fixture
def ws(world) -> Workshop:
    return make_workshop(world)


def invites(world, event_id: int) -> dict[int, tuple]:
    with world.db.read() as session:
        rows = session.exec(select(EventInvite).where(EventInvite.event_id == event_id)).all()
        return {r.participant_id: (r.state, r.session_id, r.waitlisted_at) for r in rows}


def volunteers(world, event_id: int) -> dict[int, tuple]:
    with world.db.read() as session:
        rows = session.exec(select(EventVolunteer).where(EventVolunteer.event_id == event_id)).all()
        return {r.participant_id: (r.volunteered_at, r.declined_at) for r in rows}


def messages(world, kind: str, email: str | None = None) -> list[Message]:
    with world.db.read() as session:
        query = select(Message).where(Message.kind == kind)
        if email:
            query = query.where(Message.participant_id == world.people[email])
        return list(session.exec(query))


def facts(world, session_id: int) -> SessionFacts:
    with world.db.read() as session:
        row = session.get(EventSession, session_id)
    return SessionFacts(row.id, row.label, row.starts_at, row.ends_at, "Rådhuset", row.capacity)


async def answer(client, path: str, choice: str | None, **more):
    page = await client.get(path)
    data = {"csrf": csrf_of(page), **more}
    if choice is not None:
        data["choice"] = choice
    return await client.post(path, data=data)


async def test_the_invitation_before_any_answer(client, world, ws) -> None:
    page = await client.get(ws.rsvp("p1@example.no"))
    assert page.status_code == 200 and '<html lang="nb">' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "content-security-policy" in page.headers
    text = page.text
    assert "<h1>Min side – verksted</h1>" in text and "Vi utvikler Min side sammen." in text
    assert "Rådhuset" in text
    first, second = _when(facts(world, ws.first), "nb"), _when(facts(world, ws.second), "nb")
    assert f"Økt 1: {first}" in text and f"Økt 2: {second}" in text
    assert " kl. " in first
    assert "1 ledig plass" in text and "5 ledige plasser" in text
    assert "Du har ikke svart ennå." in text
    assert "<legend>Kan du komme?</legend>" in text
    assert f'value="{ws.first}"' in text and f'value="{ws.second}"' in text
    assert 'value="no"' in text and "Jeg kan ikke komme" in text and "checked" not in text
    assert f'href="{ws.rsvp("p1@example.no")}/kalender.ics"' in text
    assert "Legg i kalenderen" in text and "Send svaret" in text


def test_session_times_are_written_in_norwegian_time() -> None:
    winter = SessionFacts(1, "", datetime(2026, 12, 10, 17, tzinfo=UTC),
                          datetime(2026, 12, 10, 19, tzinfo=UTC), "", 5)  # fmt: skip
    assert _when(winter, "nb") == "torsdag 10. desember 2026 kl. 18.00–20.00"
    assert _when(winter, "en") == "Thursday 10 December 2026, 18:00–20:00"
    summer = SessionFacts(1, "", datetime(2027, 6, 3, 16, tzinfo=UTC),
                          datetime(2027, 6, 4, 8, 30, tzinfo=UTC), "", 5)  # fmt: skip
    assert _when(summer, "nb") == "torsdag 3. juni 2027 kl. 18.00 – fredag 4. juni 2027 kl. 10.30"
    assert _when(summer, "en") == "Thursday 3 June 2027, 18:00 – Friday 4 June 2027, 10:30"


async def test_taking_a_place_redirects_and_the_page_says_so(client, world, ws) -> None:
    path = ws.rsvp("p1@example.no")
    done = await answer(client, path, str(ws.first))
    assert done.status_code == 303 and done.headers["location"] == f"{path}?svar=accepted"
    page = await client.get(done.headers["location"])
    assert page.status_code == 200
    assert "<title>Du har fått plass: Min side – verksted" in page.text
    when = _when(facts(world, ws.first), "nb")
    assert f"Takk! Du er påmeldt Økt 1: {when}." in page.text
    assert "Svaret ditt" not in page.text  # the message says it all
    assert f'value="{ws.first}" checked' in page.text
    assert "Fullt – venteliste" in page.text  # its only place is taken
    assert f"og gir fra deg plassen din på Økt 1: {when}." in page.text
    assert invites(world, ws.event_id)[world.people["p1@example.no"]][:2] == (
        "accepted",
        ws.first,
    )
    (place,) = messages(world, "event-place", "p1@example.no")
    assert place.subject.startswith("Du er påmeldt") and place.attachments
    # A reload, or an outcome typed into the address, shows only what is true.
    other = await client.get(f"{ws.rsvp('p2@example.no')}?svar=accepted")
    assert "Du har fått plass" not in other.text and "Du har ikke svart ennå." in other.text
    assert "gir fra deg plassen" not in other.text


async def test_a_full_session_puts_residents_on_its_waiting_list_in_order(client, world, ws):
    await answer(client, ws.rsvp("p1@example.no"), str(ws.first))
    second = await answer(client, ws.rsvp("p2@example.no"), str(ws.first))
    assert second.headers["location"].endswith("?svar=waitlisted")
    third = await answer(client, ws.rsvp("p3@example.no"), str(ws.first))
    page = await client.get(third.headers["location"])
    assert "<title>Du står på venteliste: Min side" in page.text
    when = _when(facts(world, ws.first), "nb")
    assert f"Økt 1: {when} er fullt, så du står på venteliste som nummer 2." in page.text
    assert f'value="{ws.first}" checked' in page.text
    waiting = messages(world, "event-place", "p3@example.no")
    assert len(waiting) == 1 and waiting[0].subject.startswith("Du står på venteliste")
    # The same answer again changes nothing.
    again = await answer(client, ws.rsvp("p3@example.no"), str(ws.first))
    assert again.headers["location"].endswith("?svar=unchanged")
    page = await client.get(again.headers["location"])
    assert "Ingenting er endret" in page.text and "Det var allerede svaret ditt." in page.text
    assert len(messages(world, "event-place", "p3@example.no")) == 1
    # The one with the place declines: the first in line gets it, and an email says so.
    declined = await answer(client, ws.rsvp("p1@example.no"), "no")
    assert declined.headers["location"].endswith("?svar=declined")
    page = await client.get(declined.headers["location"])
    assert "Takk for at du sa fra om at du ikke kan komme." in page.text
    assert 'value="no" checked' in page.text
    state = invites(world, ws.event_id)
    assert state[world.people["p2@example.no"]][:2] == ("accepted", ws.first)
    assert state[world.people["p3@example.no"]][0] == "waitlisted"
    promoted = messages(world, "event-place", "p2@example.no")
    assert any(m.subject.startswith("Du har fått plass") for m in promoted)
    page = await client.get(ws.rsvp("p3@example.no"))
    assert f"Du er nummer 1 på ventelisten til Økt 1: {when}." in page.text
    page = await client.get(ws.rsvp("p1@example.no"))
    assert "Du har svart at du ikke kan komme." in page.text
    page = await client.get(ws.rsvp("p2@example.no"))
    assert f"Du er påmeldt Økt 1: {when}." in page.text


async def test_a_closed_event_shows_no_form_and_takes_no_answer(client, world, ws) -> None:
    path = ws.rsvp("p1@example.no")
    form = await client.get(path)
    set_status(world.db, actor=ADMIN, event_id=ws.event_id, status="closed")
    page = await client.get(path)
    assert page.status_code == 200 and "<form" not in page.text
    assert "Påmeldingen er stengt, så svaret kan ikke endres lenger." in page.text
    before = invites(world, ws.event_id)
    late = await client.post(path, data={"csrf": csrf_of(form), "choice": str(ws.first)})
    assert late.status_code == 303 and late.headers["location"].endswith("?svar=closed")
    assert invites(world, ws.event_id) == before
    page = await client.get(late.headers["location"])
    assert "Svaret ble ikke lagret" in page.text and "<form" not in page.text


async def test_a_session_that_has_started_is_no_longer_offered(client, world, ws) -> None:
    path = ws.rsvp("p1@example.no")
    form = await client.get(path)
    with world.db.write() as session:
        row = session.get(EventSession, ws.first)
        row.starts_at, row.ends_at = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)
        session.add(row)
    page = await client.get(path)
    assert "For sent å melde seg på" in page.text
    assert f'value="{ws.first}"' not in page.text and f'value="{ws.second}"' in page.text
    late = await client.post(path, data={"csrf": csrf_of(form), "choice": str(ws.first)})
    assert late.headers["location"].endswith("?svar=closed")
    assert invites(world, ws.event_id)[world.people["p1@example.no"]][0] == "invited"
    with world.db.write() as session:  # and now every session has begun
        row = session.get(EventSession, ws.second)
        row.starts_at = utcnow() - timedelta(minutes=1)
        session.add(row)
    page = await client.get(path)
    assert "<form" not in page.text and "Påmeldingen er stengt" in page.text


async def test_a_post_without_the_csrf_field_is_refused_and_changes_nothing(client, world, ws):
    before = invites(world, ws.event_id), len(messages(world, "event-place"))
    refused = await client.post(ws.rsvp("p1@example.no"), data={"choice": str(ws.first)})
    assert refused.status_code == 403
    forged = await client.post(
        ws.rsvp("p1@example.no"),
        data={"choice": str(ws.first), "csrf": "1.2"},
    )
    assert forged.status_code == 403
    elsewhere = await client.get(ws.rsvp("p2@example.no"))  # another page's field
    borrowed = await client.post(
        ws.rsvp("p1@example.no"), data={"choice": str(ws.first), "csrf": csrf_of(elsewhere)}
    )
    assert borrowed.status_code == 403
    assert (invites(world, ws.event_id), len(messages(world, "event-place"))) == before
    call = await client.post(ws.call("p1@example.no"), data={"answer": "yes"})
    assert call.status_code == 403
    assert volunteers(world, ws.call_event)[world.people["p1@example.no"]] == (None, None)


@pytest.mark.parametrize("choice", ["other", "missing", "404", "garbage", "0", "2147483648"])
async def test_a_wrong_choice_shows_the_form_again_with_a_400(client, world, ws, choice):
    value = {
        "other": str(ws.other_session),
        "missing": None,
        "404": str(ws.other_session + 1000),
        "garbage": "eleven",
    }.get(choice, choice)
    before = invites(world, ws.event_id), len(messages(world, "event-place"))
    page = await answer(client, ws.rsvp("p1@example.no"), value)
    assert page.status_code == 400
    assert "<title>Feil: Min side – verksted" in page.text
    assert 'role="alert"' in page.text and 'href="#choice-0"' in page.text
    assert 'aria-describedby="choice-error"' in page.text and "<form" in page.text
    if choice == "missing":
        assert "Velg et tidspunkt, eller at du ikke kan komme." in page.text
    else:
        assert "Vi fant ikke det tidspunktet." in page.text
    assert (invites(world, ws.event_id), len(messages(world, "event-place"))) == before


async def test_two_choices_at_once_are_refused(client, world, ws) -> None:
    page = await client.get(ws.rsvp("p1@example.no"))
    before = invites(world, ws.event_id)
    both = await client.post(
        ws.rsvp("p1@example.no"),
        data={"csrf": csrf_of(page), "choice": [str(ws.first), str(ws.second)]},
    )
    assert both.status_code == 400 and invites(world, ws.event_id) == before


async def test_unknown_and_withdrawn_links_get_the_same_404(client, world, ws) -> None:
    from store.events import cancel_invite

    unknown = await client.get(f"/delta/{UNKNOWN}")
    assert unknown.status_code == 404 and "Vi fant ikke siden" in unknown.text
    for path in (f"/delta/{UNKNOWN}", "/delta/short", f"/frivillig/{UNKNOWN}",
                 f"/delta/{ws.calls['p1@example.no']}",  # a call's token opens no invitation
                 f"/frivillig/{ws.tokens['p1@example.no']}",
                 f"/delta/{UNKNOWN}/kalender.ics"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path
        assert (await client.post(path, data={"choice": "no"})).status_code == 404, path
    with world.db.read() as session:
        invite = session.exec(
            select(EventInvite).where(
                EventInvite.participant_id == world.people["p4@example.no"],
                EventInvite.event_id == ws.event_id,
            )
        ).one()
    cancel_invite(world.db, world.key, actor=ADMIN, invite_id=invite.id, mail=MAIL)
    withdrawn = await client.get(ws.rsvp("p4@example.no"))
    assert withdrawn.status_code == 404  # the same page, but for the address it links back to
    assert withdrawn.text.replace(ws.tokens["p4@example.no"], UNKNOWN) == unknown.text
    calendar = await client.get(f"{ws.rsvp('p4@example.no')}/kalender.ics")
    assert calendar.status_code == 404


async def test_the_calendar_file_downloads_and_parses_back(client, world, ws) -> None:
    path = ws.rsvp("p1@example.no")
    both = await client.get(f"{path}/kalender.ics")
    assert both.status_code == 200
    assert both.headers["content-type"] == "text/calendar; charset=utf-8"
    assert both.headers["content-disposition"] == 'attachment; filename="invitasjon.ics"'
    entries = icalendar.Calendar.from_ical(both.text).walk("VEVENT")
    assert len(entries) == 2
    await answer(client, path, str(ws.second))
    mine = await client.get(f"{path}/kalender.ics")
    (entry,) = icalendar.Calendar.from_ical(mine.text).walk("VEVENT")
    with world.db.read() as session:
        row = session.get(EventSession, ws.second)
    assert str(entry["summary"]) == "Min side – verksted – Økt 2"
    assert entry.decoded("dtstart") == row.starts_at and entry.decoded("dtend") == row.ends_at
    assert str(entry["location"]) == "Rådhuset"
    assert str(entry["uid"]).startswith(f"panel-session-{ws.second}@")
    assert str(entry["url"]).endswith(path)


async def test_english_for_a_resident_whose_language_is_english(client, world, ws) -> None:
    path = ws.rsvp("p0@example.no")
    page = await client.get(path)
    assert '<html lang="en">' in page.text
    when = _when(facts(world, ws.second), "en")
    assert f"Økt 2: {when}" in page.text and ", " in when and " kl. " not in when
    assert "5 places left" in page.text and "1 place left" in page.text
    assert "Can you come?" in page.text and "I cannot come" in page.text
    assert "Add to calendar" in page.text and "You have not answered yet." in page.text
    done = await answer(client, path, str(ws.second))
    page = await client.get(done.headers["location"])
    assert "<title>You have a place: Min side" in page.text
    assert f"Thank you! You have a place at Økt 2: {when}." in page.text
    (place,) = messages(world, "event-place", "p0@example.no")
    assert not place.subject.startswith("Du")  # the email is in English too
    # The language switch wins over the resident's own, as on the survey's pages.
    switched = await client.get(f"{path}?lang=nb")
    assert '<html lang="nb">' in switched.text and "Du er påmeldt" in switched.text
    norwegian = await client.get(f"{ws.rsvp('p1@example.no')}?lang=en")
    assert '<html lang="en">' in norwegian.text
    call = await client.get(ws.call("p0@example.no"))
    assert '<html lang="en">' in call.text and "Yes, I want to take part" in call.text


async def test_the_call_for_volunteers_in_every_state(client, world, ws) -> None:
    path = ws.call("p1@example.no")
    me = world.people["p1@example.no"]
    page = await client.get(path)
    assert page.status_code == 200 and "<h1>Min side – verksted</h1>" in page.text
    assert "Vi utvikler Min side sammen." in page.text and "Dette er planlagt" in page.text
    with world.db.read() as session:  # the call's event has one session
        row = session.exec(select(EventSession).where(EventSession.event_id == ws.call_event)).one()
    assert _when(facts(world, row.id), "nb") in page.text
    assert "Vil du være med?" in page.text and "Ja, jeg vil være med" in page.text
    assert "Nei takk" in page.text and 'role="status"' not in page.text
    yes = await client.post(path, data={"csrf": csrf_of(page), "answer": "yes"})
    assert yes.status_code == 303 and yes.headers["location"] == path
    page = await client.get(path)
    assert "Takk! Du er med i trekningen." in page.text and 'role="status"' in page.text
    assert "Vil du endre svaret?" in page.text
    assert volunteers(world, ws.call_event)[me][0] is not None
    no = await client.post(path, data={"csrf": csrf_of(page), "answer": "no"})
    assert no.status_code == 303
    page = await client.get(path)
    assert "Takk for svaret! Du er ikke med i trekningen denne gangen." in page.text
    assert volunteers(world, ws.call_event)[me][0] is None
    assert volunteers(world, ws.call_event)[me][1] is not None
    before = volunteers(world, ws.call_event)
    for body in ({"answer": "maybe"}, {}, {"answer": ["yes", "no"]}):
        wrong = await client.post(path, data={"csrf": csrf_of(page), **body})
        assert wrong.status_code == 400 and "Velg ja eller nei." in wrong.text
        assert "<title>Feil: " in wrong.text
    assert volunteers(world, ws.call_event) == before
    set_status(world.db, actor=ADMIN, event_id=ws.call_event, status="closed")
    closed = await client.get(path)
    assert "<form" not in closed.text and "Påmeldingen er stengt" in closed.text
    assert "Du svarte nei." in closed.text
    late = await client.post(path, data={"csrf": csrf_of(page), "answer": "yes"})
    assert late.status_code == 303 and volunteers(world, ws.call_event) == before


async def test_an_event_with_sessions_elsewhere_names_their_place(client, world, ws) -> None:
    start = (utcnow() + timedelta(days=30)).replace(second=0, microsecond=0)
    add_session(
        world.db,
        actor=ADMIN,
        event_id=ws.event_id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=2,
        location="Bekkestua bibliotek",
    )
    page = await client.get(ws.rsvp("p1@example.no"))
    assert "Bekkestua bibliotek" in page.text
    assert page.text.count("2 ledige plasser") == 2  # in the list and beside its choice


async def test_posts_for_one_link_are_limited(world, ws) -> None:
    import httpx

    from tests.web.conftest import BASE
    from web.app import create_app
    from web.config import WebConfig

    app = create_app(world.db, world.key, WebConfig(base_url=BASE, posts_per_minute_per_link=2))
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 1234))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        path = ws.rsvp("p1@example.no")
        codes = [(await answer(client, path, "no")).status_code for _ in range(3)]
    assert codes == [303, 303, 429]
