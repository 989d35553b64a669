"""The whole loop as staff and residents go through it, with every part real.

An operator sets up a fresh data dir with `panel init`. Staff log in to the real `panel` command
in a tmux terminal, import residents from the CSV file Excel writes, import a survey from YAML,
open it and send it to everyone. `panel worker --once` hands the email to a real SMTP server in
this process. Residents follow the personal link in their email to `panel web`, answer page by
page over HTTP, and staff see the answers on the survey's results screen.
"""

from __future__ import annotations

import html
import re
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyotp
import pytest

from tests.deploy.test_deploy import stop
from tests.mail.conftest import smtp  # noqa: F401 (fixture)
from tests.tui.test_tmux import (  # noqa: F401 (tmux_session is a fixture)
    PANEL,
    TITLE_EN,
    URI_SECRET,
    base_env,
    log_in,
    run_panel,
    tmux_session,
)
from tests.web.conftest import csrf_of

pytestmark = pytest.mark.tmux

ADMIN = "kari"
PASSWORD = "et langt passord 123"
WIDTH, HEIGHT = 120, 40
SLOW = 60.0  # seconds: waits on a loaded 2-core machine; never waited out on success

TITLE = "Sykkelparkering i Sandvika"
SURVEY_YAML = f"""\
title: {TITLE}
intro: Hvor bør kommunen sette opp flere sykkelstativer?
thanks: Takk for at du svarte om sykkelparkering!
anonymous: true
questions:
  - id: where
    kind: single
    text: Hvor trenger du sykkelparkering?
    required: true
    options: [Ved stasjonen, Ved biblioteket, Ved rådhuset]
  - id: often
    kind: single
    text: Hvor ofte sykler du dit?
    options: [Hver dag, Hver uke, Sjeldnere]
    show_if: {{where: [Ved stasjonen]}}
"""
# The condition on `where` puts `often` on a page of its own: two pages to answer.
CHOICES = {"where": "Ved stasjonen", "often": "Hver dag"}
ANSWERING = 3  # residents who answer: PANEL_RESULTS_MIN_GROUP, so their counts are shown

# (Navn, E-post, Kjønn, Fødselsår, Bosted): as the municipality's spreadsheet has them.
RESIDENTS = [
    ("Åse Ødegård", "ase.odegard@example.no", "kvinne", "1958", "Bærums Verk"),
    ("Ola Nordmann", "ola.nordmann@example.no", "mann", "1984", "Sandvika"),
    ("Kari Haugen", "kari.haugen@example.no", "kvinne", "1991", "Stabekk"),
    ("Per Bråten", "per.braten@example.no", "mann", "1976", "Høvik"),
    ("Ingrid Løvås", "ingrid.lovas@example.no", "kvinne", "2001", "Fornebu"),
    ("Håkon Sæther", "hakon.saether@example.no", "mann", "1949", "Østerås"),
    ("Sigrid Aas", "sigrid.aas@example.no", "kvinne", "1967", "Jar"),
    ("Bjørn Eriksen", "bjorn.eriksen@example.no", "mann", "1995", "Lysaker"),
    ("Nora Dahl", "nora.dahl@example.no", "annet", "1988", "Kolsås"),
    ("Magnus Berg", "magnus.berg@example.no", "mann", "1972", "Bekkestua"),
]
EMAILS = sorted(email for _name, email, *_rest in RESIDENTS)


def excel_csv(rows: list[tuple[str, ...]]) -> bytes:
    """What Excel writes as "CSV UTF-8" in Norway: a BOM, semicolons, CRLF line ends."""
    lines = ["Navn;E-post;Kjønn;Fødselsår;Bosted", *(";".join(row) for row in rows)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def panel_web(env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """`panel web` in a subprocess on `port`, once /healthz answers; stopped at the end."""
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [PANEL, "web", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + SLOW
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"panel web exited with {process.returncode}:\n"
                                         f"{log.read_text(errors='replace')}")  # fmt: skip
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).text == "ok":
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"panel web did not answer /healthz within {SLOW:.0f} s:"
                                         f"\n{log.read_text(errors='replace')}")  # fmt: skip
                time.sleep(0.2)
            yield url
        finally:
            stop(process)


RADIO = re.compile(
    r'<input type="radio" name="q-(?P<key>[\w-]+)" id="[^"]+" value="(?P<value>[^"]+)"[^>]*>'
    r'<label for="[^"]+">(?P<label>[^<]*)</label>'
)
SIDE = re.compile(r'name="side" value="(\d+)"')
ACTION = re.compile(r'<button type="submit" name="action" value="(submit|next)"')


def answer_survey(web: httpx.Client, link: str, choices: dict[str, str]) -> list[list[str]]:
    """Answer as a browser would, page by page until the thanks page; returns the question
    keys each page asked. `choices` gives the label to choose for each question."""
    origin = str(web.base_url).rstrip("/")
    page = web.get(link)
    assert page.status_code == 200, page.text
    assert TITLE in page.text
    asked: list[list[str]] = []
    for _page in range(5):
        options: dict[str, dict[str, str]] = {}
        for found in RADIO.finditer(page.text):
            options.setdefault(found["key"], {})[html.unescape(found["label"])] = found["value"]
        side, action = SIDE.search(page.text), ACTION.search(page.text)
        assert options and side and action, page.text
        asked.append(list(options))
        form = {"csrf": csrf_of(page), "side": side.group(1), "action": action.group(1)}
        form.update({f"q-{key}": labels[choices[key]] for key, labels in options.items()})
        posted = web.post(link, data=form, headers={"Origin": origin})
        assert posted.status_code == 303, f"{posted.status_code}:\n{posted.text}"
        location = posted.headers["location"]
        page = web.get(location)
        assert page.status_code == 200, page.text
        if action.group(1) == "submit":
            assert location.endswith("?sendt=1"), location
            assert "Takk for at du svarte om sykkelparkering!" in page.text
            return asked
    raise AssertionError(f"no thanks page after {len(asked)} pages: {asked}")


def test_import_send_deliver_answer_and_read_the_results(tmp_path, tmux_session, smtp):  # noqa: F811
    home = tmp_path / "home"
    home.mkdir()
    (home / "deltakere.csv").write_bytes(excel_csv(RESIDENTS))
    (home / "sykkel.yaml").write_text(SURVEY_YAML, encoding="utf-8")
    port = free_port()
    env = base_env(
        home,
        PANEL_DATA_DIR=str(tmp_path / "data"),
        PANEL_LANGUAGE="en",
        PANEL_BASE_URL=f"http://127.0.0.1:{port}",
        PANEL_MAIL_FROM="Innbyggerpanelet <innbyggerpanel@baerum.example>",
        PANEL_SMTP_HOST="127.0.0.1",
        PANEL_SMTP_PORT=str(smtp.port),
        PANEL_SMTP_TLS="none",
        PANEL_SMTP_TIMEOUT="20",
        PANEL_RESULTS_MIN_GROUP=str(ANSWERING),
    )

    # 1. A fresh data dir with its first admin, whose TOTP secret init prints.
    init = run_panel("init", "--admin", ADMIN, "--password-stdin", env=env, stdin=PASSWORD + "\n")
    secret = URI_SECRET.search(init.stdout)
    assert secret, init.stdout

    # 2. The residents' pages, served as in production.
    with panel_web(env, port, tmp_path / "web.log") as site:
        # 3. Staff at work in a real terminal.
        session = tmux_session(env)
        session.start([PANEL], width=WIDTH, height=HEIGHT)
        session.wait_for(TITLE_EN, SLOW)
        log_in(session, ADMIN, PASSWORD, pyotp.TOTP(secret.group(1)).now())
        session.wait_for(f"Logged in as {ADMIN}", SLOW)

        # Participants from the spreadsheet, through the roster's import dialog.
        session.send("F3")
        session.wait_for(re.compile(r"\b0 of 0\b"), SLOW)
        session.send("i")
        session.wait_for("Import participants", SLOW)
        session.type("~/deltakere.csv")
        session.wait_for("~/deltakere.csv")
        session.send("Enter")
        report = session.wait_for("10 rows in the file:", SLOW)
        assert "read as UTF-8 with BOM, cells separated by semicolons" in report, report
        assert re.search(r"to add: 10 · already on the panel, skipped: 0 · bad, not imported: 0",
                         report), report  # fmt: skip
        session.send("C-s")
        roster = session.wait_for(re.compile(r"\b10 of 10\b"), SLOW)
        assert "Import participants" not in roster
        assert "Åse Ødegård" in roster and "ase.odegard@example.no" in roster, roster

        # The survey from its YAML file, opened for answers, sent to everyone.
        session.send("F4")
        session.wait_for("No surveys yet", SLOW)
        session.send("i")
        session.wait_for("Import a survey", SLOW)
        # The field holds the home directory (its end, if long) once it is ready for keys:
        # empty it, and type once it shows empty.
        session.wait_for(re.compile(r"File\s+[^\s█]"), SLOW)
        session.send("End", "C-u")
        session.wait_for(re.compile(r"File\s+█"), SLOW)
        session.type("~/sykkel.yaml")
        session.wait_for(re.compile(r"File\s+~/sykkel\.yaml"), SLOW)
        session.send("Enter")
        session.wait_for(re.compile(rf"{TITLE}\s+draft\s"), SLOW)
        session.send("o")
        session.wait_for(f"Open “{TITLE}” for answers?", SLOW)
        session.send("y")
        session.wait_for(re.compile(rf"{TITLE}\s+open\s"), SLOW)

        session.send("s")
        session.wait_for(f"Send “{TITLE}”", SLOW)
        session.send("C-r")
        plan = session.wait_for("Chosen: everyone else", SLOW)
        assert "Matching the filter: 10 active participants" in plan, plan
        assert "Chosen: everyone else, 10." in plan, plan
        assert "Left out" not in plan, plan  # nobody is resting: nobody was contacted before
        session.send("C-s")
        session.wait_for("Invite 10 people now?", SLOW)
        session.send("y")
        session.wait_for("10 invitations queued", SLOW)
        assert smtp.received == [], "the app sent email itself; the dispatcher is to send it"

        # 4. The dispatcher delivers to the SMTP server.
        worker = run_panel("worker", "--once", env=env)
        assert "Sent 10, to be retried 0, failed 0." in worker.stdout, worker.stdout
        received = list(smtp.received)
        per_address = Counter(rcpt for item in received for rcpt in item.rcpt_tos)
        assert per_address == Counter(EMAILS), per_address  # each resident exactly once
        letters = {item.rcpt_tos[0]: item.message for item in received}
        for address, letter in letters.items():
            assert letter["Subject"] == TITLE
            assert address in str(letter["To"])

        # 5. Residents follow their personal links and answer over HTTP.
        link = re.compile(rf"{re.escape(site)}/s/\S+")
        with httpx.Client(base_url=site, timeout=20) as web:
            for address in EMAILS[:ANSWERING]:
                text = letters[address].get_body(("plain",)).get_content()
                found = link.search(text)
                assert found, text
                pages = answer_survey(web, found.group(), CHOICES)
                assert pages == [["where"], ["often"]], pages
                again = web.get(found.group())
                assert again.status_code == 410, "a link answers once"

        # 6. Back in the terminal: the answers are in the list and on the results screen.
        session.send("r")
        session.wait_for(re.compile(rf"{TITLE}\s+open\s.*\s10\s+{ANSWERING}\s+30\s*%"), SLOW)
        session.send("R")
        session.wait_for(f"Results: {TITLE}", SLOW)
        results = session.wait_for(f"Responses: {ANSWERING} · showing everyone", SLOW)
        assert (
            f"Invited 10 · delivered 10 · undeliverable 0 · started {ANSWERING} · "
            f"completed {ANSWERING}"
        ) in results, results
        assert "Answers from 30 % of those reached." in results, results
        for option in ("Ved stasjonen", "Hver dag"):
            assert re.search(rf"{option}\s+█+\s+{ANSWERING}\s+100 %", results), results
        for option in ("Ved biblioteket", "Ved rådhuset", "Hver uke", "Sjeldnere"):
            assert re.search(rf"{option}\s+0\s+0 %", results), results
        assert "hidden" not in results and "Traceback" not in results, results
