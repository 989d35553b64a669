"""The workshop pages in Debian's Chromium (the set-up of test_browser.py): axe-core finds no
WCAG 2.1 A or AA violation in any state of the invitation's page or the call for volunteers'
page, a resident answers the invitation by keyboard alone, and both reflow at 320 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from mail.compose import event_mail
from store.events import set_status
from store.models import EventInvite, EventSession
from store.rsvp import answer_call, answer_invite
from store.timeutil import utcnow
from tests.web.conftest import ADMIN, make_world
from tests.web.test_browser import LiveSite, browser, check  # noqa: F401 (browser: a fixture)
from tests.web.test_rsvp import Workshop, make_workshop


@pytest.fixture
def live(sqlite_db, key) -> Iterator[tuple[LiveSite, Workshop, object]]:
    world = make_world(sqlite_db, key, people=5)
    ws = make_workshop(world)
    with LiveSite(world) as site:
        yield site, ws, world


def answered(world, ws: Workshop, email: str, session_id: int | None) -> None:
    mail = event_mail(mail_from="Panel <panel@example.no>", base_url="https://panel.example")
    answer_invite(world.db, world.key, ws.tokens[email], session_id=session_id, mail=mail)


def every_state(site: LiveSite, ws: Workshop, world) -> Iterator[tuple[str, str, str]]:
    """(what, address, what the page says) for each state of both pages; the states are made
    as it goes."""
    rsvp = {email: f"{site.url}{ws.rsvp(email)}" for email in ws.tokens}
    call = {email: f"{site.url}{ws.call(email)}" for email in ws.calls}
    yield "an invitation not answered", rsvp["p1@example.no"], "Du har ikke svart ennå."
    yield "an invitation in English", rsvp["p0@example.no"], "Can you come?"
    answered(world, ws, "p1@example.no", ws.first)
    yield "a place taken", f"{rsvp['p1@example.no']}?svar=accepted", "Du har fått plass"
    yield "a place, later", rsvp["p1@example.no"], "Du er påmeldt"
    answered(world, ws, "p2@example.no", ws.first)
    yield "on the waiting list", f"{rsvp['p2@example.no']}?svar=waitlisted", "som nummer 1"
    yield "on the waiting list, later", rsvp["p2@example.no"], "Du er nummer 1"
    yield "unchanged", f"{rsvp['p2@example.no']}?svar=unchanged", "Ingenting er endret"
    answered(world, ws, "p3@example.no", None)
    yield "declined", f"{rsvp['p3@example.no']}?svar=declined", "Takk for at du sa fra"
    yield "declined, later", rsvp["p3@example.no"], "Du har svart at du ikke kan komme."
    yield "too late", f"{rsvp['p3@example.no']}?svar=closed", "Svaret ble ikke lagret"
    yield "a link that opens nothing", f"{site.url}/delta/{'A' * 32}", "could not find"
    yield "a call not answered", call["p1@example.no"], "Vil du være med?"
    yield "a call in English", call["p0@example.no"], "Would you like to take part?"
    answer_call(world.db, world.key, ws.calls["p1@example.no"], yes=True)
    answer_call(world.db, world.key, ws.calls["p2@example.no"], yes=False)
    yield "a call answered yes", call["p1@example.no"], "Du er med i trekningen"
    yield "a call answered no", call["p2@example.no"], "Du er ikke med i trekningen"
    with world.db.write() as session:  # the first time has begun
        row = session.get(EventSession, ws.first)
        row.starts_at = utcnow() - timedelta(minutes=5)
        session.add(row)
    yield "one time has begun", rsvp["p4@example.no"], "For sent å melde seg på"
    set_status(world.db, actor=ADMIN, event_id=ws.event_id, status="closed")
    set_status(world.db, actor=ADMIN, event_id=ws.call_event, status="closed")
    yield "a closed invitation", rsvp["p1@example.no"], "Påmeldingen er stengt"
    yield "a closed invitation, not answered", rsvp["p4@example.no"], "Påmeldingen er stengt"
    yield "a closed call", call["p1@example.no"], "Du svarte ja."
    yield "a closed call, in English", call["p0@example.no"], "Sign-up has closed"


def test_every_state_of_both_pages_passes_axe(live, browser) -> None:  # noqa: F811
    site, ws, world = live
    page = browser.new_page()
    for what, url, says in every_state(site, ws, world):
        page.goto(url)
        assert says in page.content(), what
        check(page, what)


def test_the_error_states_pass_axe(live, browser) -> None:  # noqa: F811
    site, ws, _world = live
    page = browser.new_page()
    page.goto(f"{site.url}{ws.rsvp('p1@example.no')}?lang=nb")
    page.click("button[type=submit]")  # nothing chosen
    assert page.title().startswith("Feil:"), page.title()
    check(page, "an invitation with nothing chosen")
    page.click(".summary a[href='#choice-0']")  # the summary's link reaches the choices
    assert page.evaluate("document.activeElement.id") == "choice-0"
    page.goto(f"{site.url}{ws.call('p1@example.no')}")
    page.evaluate("document.querySelector('#answer-yes').value = 'maybe'")
    with page.expect_navigation():
        page.click("#answer-yes")
    assert page.title().startswith("Feil:"), page.title()
    check(page, "a call with a wrong answer")


def test_answering_the_invitation_by_keyboard_alone(live, browser) -> None:  # noqa: F811
    site, ws, world = live
    page = browser.new_page()
    page.goto(f"{site.url}{ws.rsvp('p1@example.no')}")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    tabs = 0
    while page.evaluate("document.activeElement.id") != "choice-0":
        page.keyboard.press("Tab")
        tabs += 1
        assert tabs < 20, "the choices cannot be reached by Tab"
    page.keyboard.press("ArrowDown")  # a radio group: the arrow chooses the second time
    assert page.evaluate("document.activeElement.id") == "choice-1"
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(re.compile(r"svar=accepted"))
    assert "Du har fått plass" in page.content()
    me = world.people["p1@example.no"]
    with world.db.read() as session:
        mine = select(EventInvite).where(
            EventInvite.participant_id == me, EventInvite.event_id == ws.event_id
        )
        invite = session.exec(mine).one()
    assert (invite.state, invite.session_id) == ("accepted", ws.second)
    # Then "I cannot come", and the button, by keyboard too.
    while page.evaluate("document.activeElement.id") != "choice-1":
        page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.id") == "choice-no"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"svar=declined"))
    with world.db.read() as session:
        assert session.get(EventInvite, invite.id).state == "declined"
    # The call for volunteers: Tab to its button, Enter.
    page.goto(f"{site.url}{ws.call('p1@example.no')}")
    while page.evaluate("document.activeElement.id") != "answer-yes":
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Takk! Du er med i trekningen." in page.content()


def test_both_pages_reflow_at_320_pixels(live, browser) -> None:  # noqa: F811
    site, ws, world = live
    page = browser.new_page(viewport={"width": 320, "height": 640})
    for what, url, _says in every_state(site, ws, world):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, what
