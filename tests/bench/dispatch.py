"""Dispatch speed: our dispatcher, with its database bookkeeping, against two loops without it.

    uv run python tests/bench/dispatch.py [--messages 5000] [--concurrency 4] [--runs 3]

An aiosmtpd sink runs in a process of its own and accepts everything. Each contender sends the
same emails to it, each run in a fresh process:
- ours: `Dispatcher.run(once=True)` over a SQLite file holding a survey's invitations as
  `queue_invitations` writes them (one letter, a row per person): it claims, fills in each
  person's name and links, builds, sends and records every message as sent;
- naive: one message at a time, each over a new connection (`aiosmtplib.send`);
- raw pool: `--concurrency` aiosmtplib connections kept open, fed from an in-memory list, no
  database at all.
The two loops are given, before their clocks start, the very rows and personal links the
dispatcher sends (claimed from a copy of the same queue), and build each email from them with
the dispatcher's own `build_email` and `to_bytes`: the emails on the wire are the same, byte
for byte but for the date and the MIME boundary, so the comparison is of what surrounds
sending. Ours and the raw pool use the same concurrency; the rate limit is set far above what
is reached. It reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

SENDER = "Innbyggerpanelet i Bærum <panel@baerum.kommune.no>"
SUBJECT = "Hva mener du om klimaarbeidet i Bærum?"
TEXT = "Hei!\n\nSvar på undersøkelsen her: [[link]]\n\nMeld deg av: [[unsubscribe]]\n" * 3
HTML = (
    '<p>Hei!</p><p><a href="[[link]]">Svar her</a></p><p><a href="[[unsubscribe]]">Meld av</a></p>'
)
KEY_TEXT = "cGFuZWwtYmVuY2gtc2VydmVyLWtleS0zMi1ieXRlcyE="  # fixed, so children can open the seals


def build_queue(path: Path, count: int) -> None:
    from roster import build

    from store.actors import Actor
    from store.db import Database
    from store.sampling import Selection, plan_send
    from store.secrets import ServerKey
    from store.sending import Letter, Mailing, queue_invitations
    from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec
    from store.surveys import create_survey, set_survey_status

    build(path, count)
    key, actor = ServerKey.from_text(KEY_TEXT), Actor.operator()
    db = Database(f"sqlite:///{path}")
    question = QuestionSpec("a", "single", "Ja?", options=[OptionSpec("Ja"), OptionSpec("Nei")])
    survey_id = create_survey(db, actor=actor, spec=SurveySpec("Klima", questions=[question]))
    set_survey_status(db, actor=actor, survey_id=survey_id, status="open")
    plan = plan_send(db, actor=actor, survey_id=survey_id, selection=Selection(rest_days=0))
    letter = Letter(SUBJECT, "Hei [[name]]!\n\n" + TEXT, "<p>Hei [[name]]!</p>" + HTML)
    mailing = Mailing(SENDER, "https://innbyggerpanel.baerum.kommune.no")
    queue_invitations(db, key, actor=actor, plan=plan, letters={"nb": letter}, mailing=mailing)
    db.dispose()


def queued_emails(queue: Path, out: Path) -> None:
    """The rows and personal links the dispatcher would send from `queue` (a copy, leased to
    nobody who sends), pickled to `out` for the loops without a database."""
    from store import outbox
    from store.db import Database
    from store.links import link_parts
    from store.sealing import open_links
    from store.secrets import ServerKey

    key, db = ServerKey.from_text(KEY_TEXT), Database(f"sqlite:///{queue}")
    rows = outbox.claim_due(db, owner="bench", limit=1_000_000)
    db.dispose()
    emails = [
        (row, open_links(key, row.sealed) | link_parts(key, row.participant_id, row.link_salt,
                                                       row.link_hash))
        for row in rows
    ]  # fmt: skip
    out.write_bytes(pickle.dumps(emails))


def wire_email(email: tuple) -> tuple[str, list[str], bytes]:
    """One queued email as the dispatcher puts it on the wire, made by the same functions."""
    from mail.transport import build_email, envelope_sender, to_bytes

    row, links = email
    message = build_email(row, links, SENDER)
    return envelope_sender(message), [row.to_address], to_bytes(message)


async def run_ours(port: int, path: Any, count: int, concurrency: int) -> int:
    from mail.dispatcher import Dispatcher
    from mail.transport import SmtpConfig
    from store.db import Database
    from store.secrets import ServerKey

    db = Database(f"sqlite:///{path}")
    config = SmtpConfig(host="127.0.0.1", port=port, local_hostname="bench.test")
    dispatcher = Dispatcher(db, ServerKey.from_text(KEY_TEXT), config, mail_from=SENDER,
                            rate=1_000_000, concurrency=concurrency)  # fmt: skip
    summary = await dispatcher.run(once=True)
    db.dispose()
    return summary.sent


async def run_naive(port: int, emails: Any, count: int, concurrency: int) -> int:
    import aiosmtplib

    for email in emails:
        sender, recipients, data = wire_email(email)
        await aiosmtplib.send(data, sender=sender, recipients=recipients, hostname="127.0.0.1",
                              port=port, local_hostname="bench.test", start_tls=False)  # fmt: skip
    return count


async def run_pool(port: int, emails: Any, count: int, concurrency: int) -> int:
    import aiosmtplib

    queue = iter(emails)
    sent = 0

    async def connection() -> None:
        nonlocal sent
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, local_hostname="bench.test",
                               start_tls=False)  # fmt: skip
        await smtp.connect()
        for email in queue:
            await smtp.sendmail(*wire_email(email))
            sent += 1
        await smtp.quit()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return sent


CONTENDERS = {"ours": run_ours, "naive": run_naive, "pool": run_pool}


def child(kind: str, port: int, path: str, count: int, concurrency: int) -> None:
    import aiosmtplib  # noqa: F401  (imports are not what is measured)

    import store.db  # noqa: F401
    from mail import dispatcher  # noqa: F401

    source = Path(path) if kind == "ours" else pickle.loads(Path(path).read_bytes())
    started = time.perf_counter()
    sent = asyncio.run(CONTENDERS[kind](port, source, count, concurrency))
    print(json.dumps({"seconds": time.perf_counter() - started, "sent": sent}))


def sink() -> None:
    """An SMTP server that accepts and forgets; prints its port, runs until killed."""
    from aiosmtpd.smtp import SMTP

    class Accept:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(Accept(), hostname="sink.test"), host="127.0.0.1", port=0
        )
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(serve())


def measure(kind: str, port: int, path: Path, count: int, concurrency: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(port), str(path), str(count),
         str(concurrency)],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["sent"] != count:
        raise SystemExit(f"{kind} sent {result['sent']} of {count}")
    return result["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        sink()
        return
    if args.child:
        kind, port, path, count, concurrency = args.child
        child(kind, int(port), path, int(count), int(concurrency))
        return
    server = subprocess.Popen([sys.executable, __file__, "--sink"], stdout=subprocess.PIPE,
                              text=True, cwd=ROOT)  # fmt: skip
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            template, queue = Path(tmp) / "template.db", Path(tmp) / "queue.db"
            emails = Path(tmp) / "emails.pickle"
            print(f"queueing {args.messages:,} messages …", file=sys.stderr)
            build_queue(template, args.messages)
            shutil.copy(template, queue)
            queued_emails(queue, emails)
            times: dict[str, list[float]] = {kind: [] for kind in CONTENDERS}
            for _ in range(args.runs):
                for kind in CONTENDERS:
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{queue}{suffix}").unlink(missing_ok=True)
                    shutil.copy(template, queue)
                    source = queue if kind == "ours" else emails
                    times[kind].append(measure(kind, port, source, args.messages, args.concurrency))
    finally:
        server.kill()
        server.wait()
    report(args, {kind: statistics.median(values) for kind, values in times.items()})


def report(args: argparse.Namespace, median: dict[str, float]) -> None:
    rate = {kind: args.messages / seconds for kind, seconds in median.items()}
    print(
        f"dispatch of {args.messages:,} messages to an aiosmtpd sink in another process "
        f"({args.runs} runs each, median; concurrency {args.concurrency})"
    )
    print(f"  {'':<44}{'seconds':>9}{'msg/s':>9}{'ours is':>10}")
    rows = (
        ("ours: dispatcher + SQLite bookkeeping", "ours", ""),
        ("naive: a new connection per message", "naive", "(aim: at least 2×)"),
        ("raw pool: aiosmtplib connections, no DB", "pool", "(aim: at least 0.8×)"),
    )
    for label, kind, aim in rows:
        ratio = "" if kind == "ours" else f"{rate['ours'] / rate[kind]:>8.2f}×"
        print(f"  {label:<44}{median[kind]:>9.2f}{rate[kind]:>9.0f}{ratio:>10}   {aim}")
    from tests.bench.summary import record

    for kind, against, aim in (
        ("naive", "a connection per message", "at least 2×"),
        ("pool", "raw aiosmtplib pool, no DB", "at least 0.8×"),
    ):
        record("dispatch", f"messages a second ({args.messages:,})", rate["ours"], rate[kind],
               unit="msg/s", against=against, aim=aim)  # fmt: skip


if __name__ == "__main__":
    main()
