"""The real `panel` command in a real terminal: tmux runs it, send-keys types, capture-pane reads.

Staff reach the app over SSH in whatever terminal they have, so these tests start the installed
console script in a detached tmux session of a fixed size and read what it paints. Each test has
its own tmux server (`tmux -L <unique socket>`, no config file of the user's), killed at the end.

A TOTP code is accepted once only, so each test logs in at most once per user.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pyotp
import pytest

pytestmark = pytest.mark.tmux

PANEL = str(Path(sys.executable).parent / "panel")
TMUX = "/usr/bin/tmux" if Path("/usr/bin/tmux").exists() else "tmux"

DEADLINE = 30.0  # seconds: generous for a slow 2-core machine, and never waited out on success
POLL = 0.15

TITLE_EN = "Log in to Innbyggerpanelet"
# The login box's title line, in any language: a line inside the box that names the panel.
LOGIN_TITLE = re.compile(r"│\s+\S[^│]*Innbyggerpanelet")
TOTP_SECRET = re.compile(r"\b([A-Z2-7]{16,})\b")
URI_SECRET = re.compile(r"otpauth://totp/\S*?[?&]secret=([A-Z2-7]+)")

# The pane's terminal: what staff have over SSH. Only the pane's TERM is ours to choose, so
# the command is started through `env` (tmux sets TERM itself from its default-terminal).
PANE_ENV = {"TERM": "xterm-256color", "COLORTERM": "truecolor"}

TMUX_CONFIG = """\
set -g status off
set -g remain-on-exit on
set -g history-limit 5000
"""


class Tmux:
    """One detached tmux session on a server of its own, with a pane of a fixed size."""

    def __init__(self, tmp_path: Path, env: Mapping[str, str]) -> None:
        self.socket = f"panel-test-{os.getpid()}-{uuid.uuid4().hex[:10]}"
        self.config = tmp_path / f"{self.socket}.conf"
        self.config.write_text(TMUX_CONFIG, encoding="utf-8")
        self.env = {k: v for k, v in env.items() if not k.startswith("TMUX")}
        self.env.setdefault("TERM", "xterm-256color")
        # Where tmux puts the socket of `-L NAME`; start() asks tmux itself, to be sure.
        tmpdir = self.env.get("TMUX_TMPDIR") or "/tmp"
        self.socket_path = Path(tmpdir) / f"tmux-{os.getuid()}" / self.socket

    def tmux(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            [TMUX, "-L", self.socket, "-f", str(self.config), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=15,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def start(self, argv: Sequence[str], *, width: int = 80, height: int = 24) -> None:
        """Run `argv` in a new session; the server inherits `env`, the pane gets PANE_ENV too."""
        command = shlex.join(["env", *(f"{k}={v}" for k, v in PANE_ENV.items()), *argv])
        self.tmux("new-session", "-d", "-s", "panel", "-x", str(width), "-y", str(height), command)
        self.socket_path = Path(self.format("socket_path"))
        size = self.tmux("display-message", "-p", "-t", "panel", "#{pane_width}x#{pane_height}")
        assert size.strip() == f"{width}x{height}", f"the pane is {size.strip()}"

    def send(self, *keys: str) -> None:
        """Keys by tmux's names: "Enter", "Tab", "C-q"."""
        self.tmux("send-keys", "-t", "panel", *keys)

    def type(self, text: str) -> None:
        """Text typed literally, as a person would."""
        self.tmux("send-keys", "-t", "panel", "-l", text)

    def screen(self, *, history: bool = False) -> str:
        """The visible screen; with `history`, the scrollback too, wrapped lines joined."""
        args = ["capture-pane", "-p", "-t", "panel"]
        if history:
            args += ["-J", "-S", "-"]
        return self.tmux(*args)

    def format(self, name: str) -> str:
        return self.tmux("display-message", "-p", "-t", "panel", f"#{{{name}}}").strip()

    def wait_for(
        self, text: str | re.Pattern[str], timeout: float = DEADLINE, *, history: bool = False
    ) -> str:
        """Poll the screen until `text` (a substring, or a pattern) is on it; return the screen."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen(history=history)
            if text.search(screen) if isinstance(text, re.Pattern) else text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{text!r} did not appear within {timeout:.0f} s; the screen:\n{screen}"
                )
            time.sleep(POLL)

    def kill(self) -> None:
        """Stop the server (and so the pane's processes) and remove its socket file."""
        self.tmux("kill-server", check=False)
        self.socket_path.unlink(missing_ok=True)


@pytest.fixture
def tmux_session(tmp_path) -> Iterator:
    """A factory for `Tmux` sessions; every server it started is killed afterwards."""
    started: list[Tmux] = []

    def make(env: Mapping[str, str]) -> Tmux:
        session = Tmux(tmp_path, env)
        started.append(session)
        return session

    try:
        yield make
    finally:
        for session in started:
            session.kill()


def base_env(home: Path, **extra: str) -> dict[str, str]:
    """The test's environment (no PANEL_* of the machine's), with HOME and XDG dirs in `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        **extra,
    )
    return env


def run_panel(*args: str, env: Mapping[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PANEL, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"panel {' '.join(args)}: {result.stdout}{result.stderr}"
    return result


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory) -> Path:
    """A HOME with a built demo in it (building takes several seconds: once per module)."""
    home = tmp_path_factory.mktemp("demo-home")
    run_panel("demo", "--no-app", env=base_env(home, PANEL_DEMO_DIR=str(home / "demo")))
    return home


def demo_env(home: Path, **extra: str) -> dict[str, str]:
    return base_env(home, PANEL_DEMO_DIR=str(home / "demo"), **extra)


def demo_password(home: Path) -> str:
    username, password = (home / "demo" / "demo-login.txt").read_text("utf-8").split("\n")[:2]
    assert username == "demo"
    return password


def start_demo(session: Tmux, *, width: int = 80, height: int = 24) -> str:
    """Start `panel demo`, read the TOTP secret it prints, press Enter; returns the secret."""
    session.start([PANEL, "demo"], width=width, height=height)
    prompt = session.wait_for("Press Enter", history=True)
    line = next(line for line in prompt.splitlines() if "TOTP secret:" in line)
    match = TOTP_SECRET.search(line.split("TOTP secret:", 1)[1])
    assert match, f"no secret in {line!r}"
    session.send("Enter")
    return match.group(1)


def log_in(session: Tmux, username: str, password: str, code: str) -> None:
    """Type into the login screen as staff do: Enter moves to the next field, then submits."""
    session.type(username)
    session.send("Enter")
    session.type(password)
    session.send("Enter")
    session.type(code)
    session.send("Enter")


def wrong_code(secret: str) -> str:
    """A code that no step within the accepted drift would take."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + 30 * step) for step in range(-2, 3)}
    return next(c for c in ("000000", "123456", "999999", "424242", "271828") if c not in valid)


def test_demo_login_in_english_at_80x24(demo_home, tmux_session):
    session = tmux_session(demo_env(demo_home, PANEL_LANGUAGE="en"))
    secret = start_demo(session, width=80, height=24)

    login = session.wait_for(TITLE_EN)
    assert "Username" in login
    assert "Password" in login
    assert "Code" in login
    assert "Traceback" not in login
    # Without --no-mouse the app takes the mouse.
    assert session.format("mouse_any_flag") == "1" or session.format("mouse_sgr_flag") == "1"

    log_in(session, "demo", demo_password(demo_home), pyotp.TOTP(secret).now())

    home = session.wait_for("Logged in as demo")
    assert "active of 440 participants" in home
    assert TITLE_EN not in home
    assert "Innbyggerpanelet — demo" in home  # the header names who is logged in
    last = [line for line in home.splitlines() if line.strip()][-1]
    assert "Quit" in last, f"no footer on the last line:\n{home}"


def test_norwegian_by_default_and_no_mouse_at_120x40(tmp_path, tmux_session):
    home = tmp_path / "home"
    env = base_env(home, PANEL_DATA_DIR=str(tmp_path / "data"))
    init = run_panel(
        "init", "--admin", "kari", "--password-stdin", env=env, stdin="et langt passord 123\n"
    )
    match = URI_SECRET.search(init.stdout)
    assert match, init.stdout
    secret = match.group(1)

    session = tmux_session(env)
    session.start([PANEL, "--no-mouse"], width=120, height=40)
    login = session.wait_for(LOGIN_TITLE)
    assert "Innbyggerpanelet" in login
    assert "Log in to" not in login, "the login screen is in English, not Norwegian"
    assert "Traceback" not in login
    for flag in ("mouse_any_flag", "mouse_button_flag", "mouse_all_flag", "mouse_sgr_flag"):
        assert session.format(flag) == "0", f"--no-mouse, yet the app set {flag}"

    log_in(session, "kari", "et langt passord 123", pyotp.TOTP(secret).now())

    screen = session.wait_for("Innbyggerpanelet — kari")
    assert not LOGIN_TITLE.search(screen), screen
    assert session.format("mouse_any_flag") == "0"


def test_wrong_code_keeps_the_login_screen_with_a_generic_error(demo_home, tmux_session):
    session = tmux_session(demo_env(demo_home, PANEL_LANGUAGE="en"))
    secret = start_demo(session, width=80, height=24)
    session.wait_for(TITLE_EN)

    log_in(session, "demo", demo_password(demo_home), wrong_code(secret))

    screen = session.wait_for("Login failed")
    assert "Check the username, password and code" in screen
    assert TITLE_EN in screen
    assert "Logged in as" not in screen
    # The code field is emptied (its placeholder shows again) and the app is still running.
    screen = session.wait_for("6 digits from your app")
    assert session.format("pane_dead") == "0"
    assert "Traceback" not in screen


def test_bad_setting_is_one_line_and_exit_status_2(tmp_path, tmux_session):
    env = base_env(tmp_path / "home", PANEL_DATA_DIR=str(tmp_path / "data"), PANEL_SMTP_PORT="abc")
    session = tmux_session(env)
    session.start(["sh", "-c", f'{shlex.quote(PANEL)}; echo "exit=$?"'], width=80, height=24)

    screen = session.wait_for("exit=", history=True)
    assert "exit=2" in screen, screen
    assert "Traceback" not in screen
    lines = [line for line in screen.splitlines() if line.strip()]
    before = lines[: next(i for i, line in enumerate(lines) if line.startswith("exit="))]
    assert len(before) == 1, f"expected one line before the exit status:\n{screen}"
    assert before[0].startswith("panel: PANEL_SMTP_PORT")
    assert not (tmp_path / "data").exists(), "a bad setting must stop before anything is created"


@pytest.mark.parametrize("content", ["empty", "key only"])
def test_no_database_says_panel_init_and_exits_2(tmp_path, tmux_session, content):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    if content == "key only":
        from store.secrets import ServerKey

        ServerKey.create_file(data / "server.key")
    env = base_env(tmp_path / "home", PANEL_DATA_DIR=str(data), PANEL_LANGUAGE="en")
    session = tmux_session(env)
    session.start(["sh", "-c", f'{shlex.quote(PANEL)}; echo "exit=$?"'], width=80, height=24)

    screen = session.wait_for("exit=", history=True)
    assert "exit=2" in screen, screen
    assert "Traceback" not in screen
    message = [line for line in screen.splitlines() if line.startswith("panel: ")]
    assert len(message) == 1, screen
    assert "panel init" in message[0]


def demo_secret(home: Path, username: str) -> str:
    """Another demo user's TOTP secret, read with the demo's own server key."""
    from store.db import Database
    from store.demo import demo_totp_secret
    from store.secrets import ServerKey

    demo_dir = home / "demo"
    db = Database(f"sqlite:///{demo_dir / 'panel.db'}")
    try:
        return demo_totp_secret(db, ServerKey.from_file(demo_dir / "server.key"), username=username)
    finally:
        db.dispose()


def test_roster_search_and_open_a_participant(demo_home, tmux_session):
    session = tmux_session(demo_env(demo_home, PANEL_LANGUAGE="en"))
    start_demo(session, width=100, height=30)
    session.wait_for(TITLE_EN)
    # The editor, not the demo admin: each code is accepted once, and the other test uses it.
    secret = demo_secret(demo_home, "redaktor")
    log_in(session, "redaktor", demo_password(demo_home), pyotp.TOTP(secret).now())
    session.wait_for("Logged in as redaktor")

    session.send("F3")
    roster = session.wait_for(re.compile(r"\b(\d+) of \1\b"))  # everyone shown: "N of N"
    total = int(re.search(r"\b(\d+) of \1\b", roster).group(1))
    assert total > 400
    assert "Sorted by Name" in roster

    session.send("/")
    session.type("example.org")
    fewer = re.compile(rf"\b(?!{total}\b)(\d+) of {total}\b")  # the count once the search is in
    searched = session.wait_for(fewer)
    shown = int(fewer.search(searched).group(1))
    assert 0 < shown < total
    assert "@example.org" in searched

    session.send("Escape")  # from the search field to the table
    # A terminal reads Escape followed at once by a key as Alt+key: pause as a person would.
    time.sleep(0.3)
    session.send("Enter")
    participant = session.wait_for("joined")  # "Status: … · joined …", once the record is in
    assert "@example.org" in participant
    participant = session.wait_for("Save")  # the form's keys, once the footer is painted
    last = [line for line in participant.splitlines() if line.strip()][-1]
    assert "Save" in last
    assert "Traceback" not in participant
    session.send("Escape")
    session.wait_for(re.compile(rf"\b{shown} of {total}\b"))


def own_demo(tmp_path_factory, tmux_session, *, width: int, height: int) -> Tmux:
    """A demo of its own, logged in as its admin, in English: each code is accepted once, and
    the other tests log in as the demo admin too."""
    home = tmp_path_factory.mktemp("own-demo")
    run_panel("demo", "--no-app", env=demo_env(home))
    session = tmux_session(demo_env(home, PANEL_LANGUAGE="en"))
    secret = start_demo(session, width=width, height=height)
    session.wait_for(TITLE_EN)
    log_in(session, "demo", demo_password(home), pyotp.TOTP(secret).now())
    session.wait_for("Logged in as demo")
    return session


def test_write_a_survey_and_preview_it(tmp_path_factory, tmux_session):
    session = own_demo(tmp_path_factory, tmux_session, width=100, height=32)

    session.send("F4")
    # The list's header, then the seed's surveys under it once they are read.
    session.wait_for(re.compile(r"Answered[\s\S]*Klima"))
    session.send("n")
    session.wait_for("f5 Preview")  # the editor's footer: it is ready for keys
    session.type("Sykkelveier på Fornebu")
    # introduction, thanks, anonymous, opens, closes, remind after, max reminders, questions
    session.send(*["Tab"] * 8)
    session.send("a")
    session.wait_for("^s Done")  # the question form's footer
    session.type("Sykler du til jobben?")
    session.send(*["Tab"] * 4)  # id, required, the options list, the new option field
    for n, option in enumerate(("Ja", "Nei", "Av og til"), start=1):
        session.type(option)
        session.send("Enter")
        session.wait_for(f"{n}. {option}")  # as a person does: look, then type the next
    session.send("C-s")
    session.wait_for("1. Sykler du til jobben?")
    session.send("C-s")
    saved = session.wait_for("version 1")
    assert "draft" in saved and "Traceback" not in saved

    session.send("F5")
    session.wait_for("Preview: nothing you answer here is saved")
    session.send("C-n")
    # The page's heading can be painted a frame before its options: wait for both.
    question = session.wait_for(re.compile(r"Question 1 of 1[\s\S]*Av og til"))
    assert "Sykler du til jobben?" in question
    session.send("C-n")  # not required: on to the thanks
    session.wait_for("Thank you for your answers!")
    session.send("Escape")
    time.sleep(0.3)
    session.send("Escape")
    listed = session.wait_for("Sykkelveier på Fornebu")
    assert "draft" in listed


SURVEY_YAML = """\
title: Sykkelparkering i Sandvika
intro: Hvor bør kommunen sette opp flere sykkelstativer?
anonymous: true
questions:
  - id: where
    kind: single
    text: Hvor trenger du sykkelparkering?
    options: [Ved stasjonen, Ved biblioteket, Ved rådhuset]
"""


def test_send_a_survey_and_watch_it_go_out(tmp_path_factory, tmux_session):
    home = tmp_path_factory.mktemp("send-home")
    env = demo_env(home)
    run_panel("demo", "--no-app", env=env)
    survey_file = home / "sykkel.yaml"
    survey_file.write_text(SURVEY_YAML, encoding="utf-8")
    demo = base_env(
        home,
        PANEL_DATABASE_URL=f"sqlite:///{home / 'demo' / 'panel.db'}",
        PANEL_SECRET_KEY_FILE=str(home / "demo" / "server.key"),
    )
    imported = run_panel("survey", "import", str(survey_file), env=demo)
    survey_id = imported.stdout.strip()
    assert survey_id.isdigit()
    # Opened beforehand: this test is about sending (opening by its key is tested with Pilot in
    # test_surveys.py). Opened here by key, the survey twice stayed a draft late in a full run.
    from store.actors import Actor
    from store.db import Database
    from store.surveys import set_survey_status

    db = Database(demo["PANEL_DATABASE_URL"])
    set_survey_status(db, actor=Actor.operator(), survey_id=int(survey_id), status="open")
    db.dispose()

    session = tmux_session(demo_env(home, PANEL_LANGUAGE="en"))
    secret = start_demo(session, width=110, height=34)
    session.wait_for(TITLE_EN)
    log_in(session, "demo", demo_password(home), pyotp.TOTP(secret).now())
    session.wait_for("Logged in as demo")

    session.send("F4")
    session.wait_for(re.compile(r"Sykkelparkering i Sandvika\s+open"))  # the first row
    session.send("s")
    session.wait_for("Send “Sykkelparkering i Sandvika”")
    session.send("C-r")
    report = session.wait_for("Chosen: everyone else")
    chosen = int(
        re.search(r"Chosen: everyone else, ([\d\u202f]+)\.", report).group(1).replace("\u202f", "")
    )
    assert chosen > 300  # the demo's active residents, bar those contacted lately
    session.send("C-s")
    session.wait_for("people now?")
    session.send("y")
    session.wait_for("invitations queued")

    session.send("F5")  # the dispatch queue: the app itself sends to the demo's mail catcher
    sent = re.compile(rf"invitation\s+0\s+0\s+{chosen}\s+0\s+0")  # none queued, all sent
    screen = session.wait_for(sent, timeout=90)
    assert "Maildir" in screen and "Traceback" not in screen
    import email
    import email.policy

    import httpx

    maildir = home / "demo" / "mail" / "new"
    letters = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in maildir.iterdir()
    ]  # the demo's own workshop email is there too
    ours = [m for m in letters if m["Subject"] == "Sykkelparkering i Sandvika"]
    assert len(ours) == chosen
    # The demo serves the residents' pages too: a link from the Maildir opens the survey.
    letter = ours[0]
    link = re.search(r"http://127\.0\.0\.1:\d+/s/\S+", letter.get_body(("plain",)).get_content())
    assert link, letter
    page = httpx.get(link.group(), timeout=10)
    assert page.status_code == 200 and "Sykkelparkering i Sandvika" in page.text


def test_make_a_recruitment_channel_and_see_its_qr_code(tmp_path_factory, tmux_session):
    session = own_demo(tmp_path_factory, tmux_session, width=100, height=60)
    session.send("F6")
    session.wait_for("Recruitment")
    session.send("a")
    session.wait_for("New recruitment channel")
    session.type("Stand Sandvika")
    session.send("Enter")
    screen = session.wait_for("bli-med?kilde=stand-sandvika")
    assert "▀" in screen or "▄" in screen  # the QR code, on the screen
    site = re.search(r"http://127\.0\.0\.1:\d+/bli-med\?kilde=stand-sandvika", screen)
    assert site, screen
    import httpx

    form = httpx.get(site.group(), timeout=10)  # the demo's own site offers the channel
    assert '<option value="stand-sandvika" selected>Stand Sandvika</option>' in form.text
    session.send("Escape")
    table = session.wait_for(re.compile(r"Stand Sandvika\s+stand-sandvika\s+0\s+0"))
    assert "Traceback" not in table


def test_read_the_climate_surveys_results(demo_home, tmux_session):
    session = tmux_session(demo_env(demo_home, PANEL_LANGUAGE="en"))
    start_demo(session, width=100, height=40)
    session.wait_for(TITLE_EN)
    # The analyst, whose code no other test here uses: results are what analysts are for.
    secret = demo_secret(demo_home, "analytiker")
    log_in(session, "analytiker", demo_password(demo_home), pyotp.TOTP(secret).now())
    session.wait_for("Logged in as analytiker")
    session.send("F4")
    session.wait_for("Klima i Bærum")  # the newest survey, on the first row
    session.send("R")
    screen = session.wait_for("Answers from 68")
    assert "Results: Klima i Bærum" in screen and "Responses: 204" in screen
    assert "Kjenner du til kommunens klimastrategi?" in screen
    session.send("b")
    assert "gender" in session.wait_for("Broken down by gender")
    session.send("Escape")
    session.wait_for("Klima i Bærum")
