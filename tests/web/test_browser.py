"""The residents' pages in Debian's Chromium, driven by Playwright: axe-core finds no WCAG 2.1
A or AA violation on any page or error state, a resident answers a whole survey by keyboard
alone, and the pages reflow at 320 px without sideways scrolling."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn

from tests.web.conftest import World, make_world
from web.app import create_app
from web.config import WebConfig

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


class LiveSite:
    """The site under uvicorn on an ephemeral loopback port, in a thread."""

    def __init__(self, world: World) -> None:
        # IPPROTO_TCP named, so that asyncio turns Nagle off as it does for sockets it opens.
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        app = create_app(world.db, world.key, WebConfig(base_url=self.url))
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=[self.socket])), daemon=True
        )

    def __enter__(self) -> LiveSite:
        self.thread.start()
        while not self.server.started:
            threading.Event().wait(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def site(sqlite_db, key) -> Iterator[tuple[LiveSite, World]]:
    world = make_world(sqlite_db, key)
    with LiveSite(world) as live:
        yield live, world


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def check(page, where: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, f"{where}:\n{results.generate_report()}"


def test_every_page_and_error_state_passes_axe(site, browser) -> None:
    live, world = site
    page = browser.new_page()
    path = f"{live.url}/s/{world.tokens['p1@example.no']}"
    for url in (
        f"{live.url}/",
        f"{live.url}/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        path,
        f"{path}?lang=en",
        f"{live.url}{world.unsubscribe_path('p1@example.no')}",
    ):
        page.goto(url)
        check(page, url)
    page.goto(f"{path}?lang=nb")
    page.click("button[value=next]")  # nothing answered: the error state
    assert page.title().startswith("Feil (1):"), page.content()
    check(page, "the survey with an error")
    page.goto(f"{live.url}{world.unsubscribe_path('p2@example.no')}")
    page.click("button[type=submit]")
    check(page, "unsubscribe with nothing chosen")
    page.check("#choice-erase")
    page.click("button[type=submit]")
    check(page, "erase not confirmed")


def test_a_whole_survey_by_keyboard_alone(site, browser) -> None:
    live, world = site
    page = browser.new_page()
    page.goto(f"{live.url}/s/{world.tokens['p1@example.no']}")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # past the language link, from the main content
    while page.evaluate("document.activeElement.id") != "q-aware-0":
        page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Ja
    page.keyboard.press("Tab")  # to the scale
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # 3
    page.keyboard.press("Enter")  # submits the form: Next
    page.wait_for_url(re.compile(r"side=1"))
    page.keyboard.press("Tab")
    while page.evaluate("document.activeElement.id") != "q-ideas":
        page.keyboard.press("Tab")
    page.keyboard.type("Flere sykkelveier")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Sykkel
    while page.evaluate("document.activeElement.id") != "q-age":
        page.keyboard.press("Tab")
    page.keyboard.type("42")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sendt=1"))
    assert "Takk for svarene!" in page.content()
    from sqlmodel import select

    from store.models import Answer

    with world.db.read() as session:
        assert len(session.exec(select(Answer)).all()) == 5


def test_pages_reflow_at_320_pixels(site, browser) -> None:
    live, world = site
    page = browser.new_page(viewport={"width": 320, "height": 640})
    path = f"{live.url}/s/{world.tokens['p1@example.no']}"
    for url in (path, f"{live.url}{world.unsubscribe_path('p1@example.no')}"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, url


def sealed_link(world, kind: str, live: LiveSite) -> str:
    from sqlmodel import select

    from store.models import Message
    from store.sealing import LINK, open_links

    with world.db.read() as session:
        message = session.exec(
            select(Message).where(Message.kind == kind).order_by(Message.id.desc())  # type: ignore[union-attr]
        ).first()
    assert message is not None, kind
    return open_links(world.key, message.sealed)[LINK]


def test_joining_and_my_data_pass_axe_in_every_state(site, browser) -> None:
    from store.recruitment import create_channel
    from tests.web.conftest import ADMIN

    live, world = site
    create_channel(world.db, actor=ADMIN, label="Budstikka")
    page = browser.new_page()
    for url in ("/bli-med?kilde=budstikka", "/bli-med?lang=en", "/personvern", "/mine-data",
                "/bekreft/1.2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"):  # fmt: skip
        page.goto(f"{live.url}{url}")
        check(page, url)
    page.goto(f"{live.url}/bli-med?lang=nb")
    page.click("button[type=submit]")  # nothing filled in: every error at once
    assert page.title().startswith("Feil (6):"), page.title()
    check(page, "sign-up with errors")
    page.click(".summary a[href='#birth_year']")  # the summary's links reach the fields
    assert page.evaluate("document.activeElement.id") == "birth_year"
    page.fill("#name", "Nora Berg")
    page.fill("#email", "nora@example.no")
    page.check("#gender-0")
    page.fill("#birth_year", "2004")
    page.select_option("#district", "Sandvika")
    page.check("#consent")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/bli-med/sendt$"))
    check(page, "check your email")
    page.goto(sealed_link(world, "confirmation", live))
    check(page, "confirm with a button")
    page.click("button[type=submit]")
    assert "Velkommen" in page.content()
    check(page, "welcome")

    page.goto(f"{live.url}/mine-data")
    page.fill("#email", "not an address")
    page.click("button[type=submit]")
    check(page, "my data with a wrong address")
    page.fill("#email", "nora@example.no")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"sendt=1"))
    check(page, "my data: link sent")
    page.goto(sealed_link(world, "access", live))
    assert "Nora Berg" in page.content()
    check(page, "my data")
    page.click("button[type=submit]")  # erase without the tick
    check(page, "erase not confirmed")
    page.check("#confirm")
    page.click("button[type=submit]")
    check(page, "erased")


def test_the_sign_up_form_by_keyboard_alone_and_at_320_pixels(site, browser) -> None:
    live, world = site
    page = browser.new_page(viewport={"width": 320, "height": 640})
    page.goto(f"{live.url}/bli-med")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    while page.evaluate("document.activeElement.id") != "name":
        page.keyboard.press("Tab")
    page.keyboard.type("Ivar Aasen")
    page.keyboard.press("Tab")
    page.keyboard.type("ivar@example.no")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")  # a radio group: the arrow chooses "Mann"
    page.keyboard.press("Tab")
    page.keyboard.type("1999")
    page.keyboard.press("Tab")
    page.keyboard.type("Jar")  # a select takes the typed name
    while page.evaluate("document.activeElement.id") != "consent":
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the privacy notice's link, to the button
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/bli-med/sendt$"))
    from sqlmodel import select

    from store.models import Participant

    with world.db.read() as session:
        person = session.exec(
            select(Participant).where(Participant.email_key == "ivar@example.no")
        ).one()
    assert (person.gender, person.birth_year, person.district) == ("male", 1999, "Jar")
    for url in ("/personvern", "/mine-data"):
        page.goto(f"{live.url}{url}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, url


def test_the_results_pages_pass_axe_and_reflow(sqlite_db, key, browser) -> None:
    from types import SimpleNamespace

    from sqlalchemy import update

    from mail.compose import follow_up_letters
    from store.models import Participant
    from store.publishing import publish_results
    from store.sending import Mailing
    from store.surveys import set_survey_status
    from tests.store.test_results import ADMIN, generate

    survey_id, _rows = generate(sqlite_db, 40)
    with sqlite_db.write() as session:
        session.execute(update(Participant).values(email=Participant.email_key))
    set_survey_status(sqlite_db, actor=ADMIN, survey_id=survey_id, status="closed")
    mailing = Mailing("Panel <panel@example.no>", "https://panel.example")
    publish_results(sqlite_db, actor=ADMIN, survey_id=survey_id, learned="Vi lærte mye.",
                    letters=follow_up_letters(title="Klima", mail_from=mailing.mail_from),
                    mailing=mailing)  # fmt: skip
    with LiveSite(SimpleNamespace(db=sqlite_db, key=key)) as live:  # type: ignore[arg-type]
        page = browser.new_page()
        for url in ("/resultater", f"/resultater/{survey_id}", f"/resultater/{survey_id}?lang=en"):
            page.goto(f"{live.url}{url}")
            check(page, url)
        narrow = browser.new_page(viewport={"width": 320, "height": 640})
        narrow.goto(f"{live.url}/resultater/{survey_id}")
        assert narrow.evaluate("document.documentElement.scrollWidth") <= 320
