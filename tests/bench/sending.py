"""Choosing a stratified sample and queueing its invitations, at 100,000 recipients on SQLite.

    uv run python tests/bench/sending.py [--size 100000]

Ours: `plan_send` (a stratified draw of SIZE from a panel of 1.2 × SIZE) and
`queue_invitations` (batch, invitations, outbox rows with sealed links, last-contacted times,
audit, in one transaction). Baseline: a raw `executemany` of the very same invitation and
outbox rows into a copy of the same database, with the sqlite3 module. It reports; it asserts
nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from store.db import SQLITE_CACHE_KIB  # noqa: E402

# The raw baseline's connection is set up as the store's own (store/db.py): the same rows into
# the same schema with the same integrity checks.
RAW_PRAGMAS = (
    "journal_mode = WAL",
    "foreign_keys = ON",
    "synchronous = NORMAL",
    f"cache_size = -{SQLITE_CACHE_KIB}",
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    from roster import build

    from mail.compose import survey_letters
    from store.actors import Actor
    from store.db import Database
    from store.sampling import Selection, plan_send
    from store.secrets import ServerKey
    from store.sending import Mailing, queue_invitations
    from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec
    from store.surveys import create_survey, set_survey_status

    actor, key = Actor.operator(), ServerKey.generate()
    mailing = Mailing("Bærum kommune <innbyggerpanel@baerum.kommune.no>", "https://p.example")
    with tempfile.TemporaryDirectory() as tmp:
        path, copy = Path(tmp) / "panel.db", Path(tmp) / "raw.db"
        print(f"building {int(args.size * 1.2):,} participants …", file=sys.stderr)
        build(path, int(args.size * 1.2))
        db = Database(f"sqlite:///{path}")
        question = QuestionSpec("a", "single", "Ja?", options=[OptionSpec("Ja"), OptionSpec("Nei")])
        survey_id = create_survey(db, actor=actor, spec=SurveySpec("Klima", questions=[question]))
        set_survey_status(db, actor=actor, survey_id=survey_id, status="open")
        db.dispose()
        shutil.copy(path, copy)
        db = Database(f"sqlite:///{path}")
        letters = survey_letters(
            "invitation", title="Klima", intro="Hva mener du?", anonymous=True, closes_on=None,
            mail_from=mailing.mail_from,
        )  # fmt: skip

        start = time.perf_counter()
        plan = plan_send(
            db, actor=actor, survey_id=survey_id,
            selection=Selection(method="stratified", size=args.size, seed=1, rest_days=0),
        )  # fmt: skip
        planned = time.perf_counter() - start
        if "--profile" in sys.argv:
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        queued = queue_invitations(
            db, key, actor=actor, plan=plan, letters=letters, mailing=mailing
        )
        if "--profile" in sys.argv:
            profile.disable()
            profile.dump_stats("/tmp/sending.prof")
        ours = time.perf_counter() - start
        assert queued.queued == args.size, queued

        connection = sqlite3.connect(path)
        invitations = connection.execute(
            "SELECT survey_id, participant_id, token_hash, link_salt, batch_id, reminders, "
            "created_at FROM invitation"
        ).fetchall()
        messages = connection.execute(
            "SELECT dedupe_key, kind, participant_id, survey_id, batch_id, letter_id, fields, "
            "to_address, subject, body_text, sealed, status, priority, attempts, message_id, "
            "created_at FROM message"
        ).fetchall()
        batches = connection.execute("SELECT * FROM send_batch").fetchall()
        letter_rows = connection.execute("SELECT * FROM letter").fetchall()
        connection.close()
        db.dispose()

        raw = sqlite3.connect(copy)
        for pragma in RAW_PRAGMAS:
            raw.execute(f"PRAGMA {pragma}")
        start = time.perf_counter()
        with raw:
            for table, rows in (("send_batch", batches), ("letter", letter_rows)):
                marks = ", ".join("?" * len(rows[0]))
                raw.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            raw.executemany(
                "INSERT INTO invitation (survey_id, participant_id, token_hash, link_salt, "
                "batch_id, reminders, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                invitations,
            )
            raw.executemany(
                "INSERT INTO message (dedupe_key, kind, participant_id, survey_id, batch_id, "
                "letter_id, fields, to_address, subject, body_text, sealed, status, priority, "
                "attempts, message_id, created_at) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                messages,
            )
        baseline = time.perf_counter() - start
        raw.close()

    print(f"queueing a stratified sample of {args.size:,} on SQLite")
    print(f"  {'':<44}{'seconds':>9}")
    print(f"  {'ours: choose the sample':<44}{planned:>9.2f}")
    print(f"  {'ours: choose, then write everything':<44}{ours:>9.2f}   (aim: under 3 s)")
    print(f"  {'raw executemany of the same rows':<44}{baseline:>9.2f}")
    print(f"  {'ratio, ours / raw':<44}{ours / baseline:>8.2f}×   (aim: at most 2×)")
    from tests.bench.summary import record

    record("sending", f"queue a stratified sample of {args.size:,}", ours, baseline, unit="s",
           against="raw executemany", aim="under 3 s, at most 2×")  # fmt: skip


if __name__ == "__main__":
    main()
