"""Failures survived, with real parts and no mocks: the SMTP server away for a while, the
database busy, read-only, or on a disk that fills up.

Each failure is told in one plain sentence naming its cause (never a traceback), a `panel`
command that meets one exits 1, and nothing saved before is lost or half-changed; once the cause
is gone, the same action works.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import select
from textual.widgets import Input

from mail.dispatcher import Dispatcher
from mail.transport import SmtpConfig
from store.db import SQLITE_BUSY_TIMEOUT_MS, Database
from store.demo import SURVEY_FILES
from store.models import Message, Participant
from store.secrets import ServerKey
from tests.cli.helpers import PANEL, panel
from tests.mail.outbox_rows import SENDER, add_messages
from tests.mail.smtp_server import HOST, RecordingHandler, SmtpServer, _Controller
from tests.store.test_results import generate
from tests.tui.conftest import log_in, settle
from tui import faults
from tui.i18n import use_language
from tui.screens.participant import ParticipantScreen
from tui.screens.roster import RosterScreen

PASSWORD = "correct horse battery\n"
KLIMA = next(path for path in SURVEY_FILES if path.name == "klima.yaml")
BUSY_SECONDS = SQLITE_BUSY_TIMEOUT_MS / 1000


# Helpers ------------------------------------------------------------------------------------


def init_panel(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A data folder made by `panel init`: the environment to run `panel` in, and its database."""
    data = tmp_path / "data"
    env = {"PANEL_DATA_DIR": str(data)}
    made = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    return env, data / "panel.db"


def run_panel(*args: str, env: dict[str, str], file_size_limit: int) -> subprocess.CompletedProcess:
    """`panel ARGS` unable to make any file larger than `file_size_limit` bytes: a write past it
    fails with EFBIG (SIGXFSZ is ignored, so the process is not killed), as on a full disk."""

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [PANEL, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PANEL_LANGUAGE": "en", **env},
        preexec_fn=limited,
        timeout=120,
        check=False,
    )


def fails_saying(result: subprocess.CompletedProcess, *words: str) -> str:
    """Checks that `panel` exited 1 with no traceback, its last line on stderr a `panel: `
    sentence naming the cause in one of `words`; returns that line."""
    shown = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 1, shown
    assert "Traceback" not in result.stderr, shown
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("panel: "), shown
    assert any(word in line.lower() for word in words), shown
    return line


def dump(path: Path) -> list[str]:
    """Everything the SQLite database holds, as SQL, to compare before and after."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def people_csv(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as file:
        file.write("Navn;E-post\n")
        for n in range(count):
            file.write(f"Deltaker {n:05} Ødegård-Nordmann;deltaker{n}@example.no\n")
    return path


@contextmanager
def write_locked(path: Path) -> Iterator[None]:
    """Another program in the middle of a write: it holds SQLite's write lock on `path`."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def mount(*args: str) -> None:
    try:
        subprocess.run(["mount", *args], check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        reason = getattr(exc, "stderr", "") or exc
        pytest.skip(f"cannot mount here (root with CAP_SYS_ADMIN is needed): {reason}")


def unmount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    """`path` as an operator may find it: on a read-only mount (a read-only bind mount of the
    file over itself; chmod would not stop root). Its folder stays writable."""
    mount("--bind", str(path), str(path))
    try:
        mount("-o", "remount,ro,bind", str(path))
        yield
    finally:
        unmount(path)


@contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    """A real file system of `size` at `path` (tmpfs), to fill up."""
    path.mkdir()
    mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path))
    try:
        yield path
    finally:
        unmount(path)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# The known faults' sentences ----------------------------------------------------------------


def test_each_known_fault_is_told_in_its_sentence(tmp_path):
    path = tmp_path / "faults.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(Exception) as locked, engine.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # wrapped by SQLAlchemy
    finally:
        engine.dispose()
        holder.execute("ROLLBACK")
        holder.close()
    assert faults.explain(locked.value) == faults.busy()

    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as read_only:
        reader.execute("INSERT INTO t VALUES (1)")
    reader.close()
    assert faults.explain(read_only.value) == faults.read_only()

    device = os.open("/dev/full", os.O_WRONLY)
    try:
        with pytest.raises(OSError) as full:
            os.write(device, b"x")  # a real ENOSPC
    finally:
        os.close(device)
    assert faults.explain(full.value) == faults.disk_full()

    nowhere = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/panel")
    with pytest.raises(Exception) as refused:
        nowhere.connect()
    nowhere.dispose()
    assert faults.explain(refused.value) == faults.unreachable()

    bug = ValueError("something unforeseen\nwith details")
    assert faults.explain(bug) is None and faults.describe(bug) == "something unforeseen"
    assert faults.describe(locked.value).startswith("The database is busy: another program")
    try:
        use_language("nb")
        assert faults.describe(locked.value).startswith("Databasen er opptatt")
        assert "Disken er full" in faults.describe(full.value)
    finally:
        use_language("en")


# 1. The SMTP server away for a while, and back -----------------------------------------------


class SmtpServerOn(SmtpServer):
    """The test SMTP server on a port chosen beforehand (where the previous one was), keeping
    what it receives in `handler` (shared with the previous one, to count across both)."""

    def __init__(self, port: int, handler: RecordingHandler) -> None:
        self.handler = handler
        self._controller = _Controller(
            handler, hostname=HOST, port=port, server_hostname="smtp.test"
        )


def statuses(db) -> Counter:
    with db.read() as session:
        return Counter(session.exec(select(Message.status)).all())


def attempts(db) -> int:
    with db.read() as session:
        return sum(session.exec(select(Message.attempts)).all())


async def until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("away", ["from the start", "midway"])
async def test_the_smtp_server_away_for_a_while_and_back(db, key, away):
    count, concurrency, down_seconds = 40, 2, 2.5
    add_messages(db, key, count)
    port = free_port()
    handler = RecordingHandler()
    config = SmtpConfig(host=HOST, port=port, local_hostname="panel.test", timeout=5)
    send = Dispatcher(db, key, config, mail_from=SENDER, rate=20, concurrency=concurrency,
                      max_attempts=3, retry_seconds=0.0, poll_seconds=0.05)  # fmt: skip
    running_servers: list[SmtpServer] = []
    if away == "midway":
        running_servers.append(SmtpServerOn(port, handler).start())
    running = asyncio.create_task(send.run())
    try:
        if running_servers:
            await until(lambda: len(handler.received) >= 10, timeout=20)
            running_servers.pop().stop()
        arrived = len(handler.received)
        await asyncio.sleep(down_seconds)
        # Away: nothing arrives and nothing is given up on.
        assert len(handler.received) == arrived
        assert statuses(db)["failed"] == 0
        running_servers.append(SmtpServerOn(port, handler).start())  # back, on the same port
        await until(lambda: statuses(db) == {"sent": count}, timeout=60)
    finally:
        send.stop()
        await running
        for server in running_servers:
            server.stop()
    delivered = Counter(to for received in handler.received for to in received.rcpt_tos)
    assert set(delivered) == {f"deltaker{n}@example.no" for n in range(count)}
    # Sent twice at most: those on the wire when the server went (their 250 was lost).
    assert sum(times - 1 for times in delivered.values()) <= concurrency
    # While it was away, sending held back: a handful of tries, not one per message (at 20 a
    # second, 2.5 s would have been 50 tries, and every message would have failed by now).
    assert attempts(db) - count <= concurrency + 4


def test_panel_worker_once_without_a_server_says_so_and_keeps_everything(tmp_path):
    env, path = init_panel(tmp_path)
    db = Database(f"sqlite:///{path}")
    add_messages(db, ServerKey.from_file(path.parent / "server.key"), 10)
    db.dispose()
    env |= {"PANEL_SMTP_HOST": HOST, "PANEL_SEND_RETRY_SECONDS": "0"}
    port = free_port()
    result = panel("worker", "--once", env={**env, "PANEL_SMTP_PORT": str(port)})
    # What it says today: the dispatcher's warning on stderr, then the summary. The exit status
    # (0 today) is left unpinned: a worker that cannot reach its server may well exit non-zero.
    assert "Traceback" not in result.stderr, result.stderr
    assert "cannot reach the SMTP server" in result.stderr, result.stderr
    assert "Sent 0," in result.stdout and "failed 0." in result.stdout, result.stdout
    db = Database(f"sqlite:///{path}")
    with db.read() as session:
        rows = session.exec(select(Message.status, Message.attempts)).all()
    db.dispose()
    assert [status for status, _ in rows] == ["queued"] * 10
    assert sum(tries for _, tries in rows) <= 4  # one try per connection at most (4 by default)

    handler = RecordingHandler()
    server = SmtpServerOn(port, handler).start()
    try:
        again = panel("worker", "--once", env={**env, "PANEL_SMTP_PORT": str(port)})
    finally:
        server.stop()
    assert again.returncode == 0, again.stderr
    assert "Sent 10, to be retried 0, failed 0." in again.stdout
    assert len(handler.received) == 10


# 2. The database busy -----------------------------------------------------------------------


def test_a_panel_command_writing_while_the_database_is_busy(tmp_path):
    env, path = init_panel(tmp_path)
    people = people_csv(tmp_path / "people.csv", 3)
    before = dump(path)
    with write_locked(path):
        started = time.monotonic()
        result = panel("import", str(people), env=env)
        waited = time.monotonic() - started
    line = fails_saying(result, "busy")
    assert line == "panel: " + faults.busy()
    assert waited >= BUSY_SECONDS * 0.9  # it waited its turn before giving up
    assert dump(path) == before
    again = panel("import", str(people), env=env)
    assert again.returncode == 0, again.stderr
    assert "3 added" in again.stdout


async def test_saving_in_the_app_while_the_database_is_busy(world):
    async with world.app().run_test(size=(120, 30)) as pilot:
        await log_in(pilot, world.admin)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, ParticipantScreen)
        form.query_one("#p-name", Input).value = "Nina Nilsen"
        form.query_one("#p-email", Input).value = "nina@example.no"
        with write_locked(world.backend.db.sqlite_path):
            await pilot.press("ctrl+s")
            await settle(pilot)  # the save waits out the busy timeout, then fails
        notes = [(n.title, str(n.message)) for n in pilot.app._notifications]
        assert ("Something went wrong", faults.busy()) in notes, notes
        assert pilot.app.screen is form
        assert form.query_one("#p-name", Input).value == "Nina Nilsen"
        assert form.query_one("#p-email", Input).value == "nina@example.no"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, RosterScreen)
    with world.backend.db.read() as session:
        ninas = session.exec(select(Participant).where(Participant.name == "Nina Nilsen")).all()
    assert len(ninas) == 1


# 3. The database read-only ------------------------------------------------------------------


def test_a_read_only_database_reads_and_refuses_writes_saying_why(tmp_path):
    env, path = init_panel(tmp_path)
    assert panel("survey", "import", str(KLIMA), env=env).returncode == 0
    people = people_csv(tmp_path / "people.csv", 3)
    before = dump(path)
    with read_only_file(path):
        listed = panel("staff", "list", env=env)
        assert listed.returncode == 0 and "kari" in listed.stdout, listed.stderr
        exported = panel("survey", "export", "1", env=env)
        assert exported.returncode == 0 and "Klima" in exported.stdout, exported.stderr
        for args in (["import", str(people)], ["survey", "import", str(KLIMA)]):
            line = fails_saying(panel(*args, env=env), "read-only")
            assert line == "panel: " + faults.read_only()
        assert dump(path) == before
    assert dump(path) == before


# 4. The disk full ---------------------------------------------------------------------------


def test_an_export_onto_a_full_disk_leaves_the_old_file_as_it_was(tmp_path):
    env, path = init_panel(tmp_path)
    db = Database(f"sqlite:///{path}")
    survey_id, _rows = generate(db, 1200)  # a CSV of some 70 kB
    db.dispose()
    folder = tmp_path / "out"
    folder.mkdir()
    out, codebook = folder / "klima.csv", folder / "klima.codebook.csv"
    out.write_bytes(b"last week's export\r\n")
    codebook.write_bytes(b"last week's codebook\r\n")
    args = ["results", str(survey_id), "--format", "csv", "-o", str(out)]
    line = fails_saying(run_panel(*args, env=env, file_size_limit=48_000), "too large", "full")
    assert str(out) in line
    assert out.read_bytes() == b"last week's export\r\n"
    assert codebook.read_bytes() == b"last week's codebook\r\n"
    assert sorted(p.name for p in folder.iterdir()) == ["klima.codebook.csv", "klima.csv"]
    written = panel(*args, env=env)
    assert written.returncode == 0, written.stderr
    assert out.stat().st_size > 48_000


def test_a_backup_onto_a_full_disk_leaves_no_partial_file(tmp_path):
    env, path = init_panel(tmp_path)
    db = Database(f"sqlite:///{path}")
    generate(db, 600)
    db.dispose()
    target = tmp_path / "backups" / "panel-backup.db"
    line = fails_saying(
        run_panel("backup", str(target), env=env, file_size_limit=100_000), "full", "too large"
    )
    assert line in ("panel: " + faults.disk_full(), "panel: " + faults.disk_failed())
    assert list(target.parent.iterdir()) == []
    made = panel("backup", str(target), env=env)
    assert made.returncode == 0, made.stderr
    assert dump(target) == dump(path)


def test_a_database_write_past_the_file_size_limit_changes_nothing(tmp_path):
    env, path = init_panel(tmp_path)
    assert panel("import", str(people_csv(tmp_path / "few.csv", 5)), env=env).returncode == 0
    before = dump(path)
    many = people_csv(tmp_path / "many.csv", 20_000)  # some 4 MB in the database
    limit = path.stat().st_size + 200_000
    line = fails_saying(run_panel("import", str(many), env=env, file_size_limit=limit), "full")
    assert line in ("panel: " + faults.disk_full(), "panel: " + faults.disk_failed())
    listed = panel("staff", "list", env=env)  # it still opens
    assert listed.returncode == 0 and "kari" in listed.stdout, listed.stderr
    assert dump(path) == before


def test_a_database_on_a_disk_that_fills_up_changes_nothing(tmp_path):
    env, path = init_panel(tmp_path)
    assert panel("import", str(people_csv(tmp_path / "few.csv", 5)), env=env).returncode == 0
    many = people_csv(tmp_path / "many.csv", 20_000)
    with small_disk(tmp_path / "disk", "1m") as disk:
        for name in ("panel.db", "server.key"):
            (disk / name).write_bytes((path.parent / name).read_bytes())
        (disk / "server.key").chmod(0o600)
        env = {"PANEL_DATA_DIR": str(disk)}
        before = dump(disk / "panel.db")
        line = fails_saying(panel("import", str(many), env=env), "full")
        assert line == "panel: " + faults.disk_full()
        listed = panel("staff", "list", env=env)
        assert listed.returncode == 0 and "kari" in listed.stdout, listed.stderr
        assert dump(disk / "panel.db") == before
