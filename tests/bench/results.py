"""Computing a survey's results at 100,000 responses to 20 questions, against raw SQL.

    uv run python tests/bench/results.py [--responses 100000] [--runs 5]

Ours: `store.results.survey_results`, everything the results screen shows: the progress
(invited, delivered, started, completed, answers a day), every question's protected counts and
shares, respondents, and the mean, median and range of scales and numbers. Baseline: one raw
`GROUP BY` per question with the sqlite3 module (counts by option, or by value, or a plain
count for free text), on the same file, which is the least a results screen can ask of the
database. Both warm, the median of RUNS. It reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# Twenty questions, as a long municipal survey has them.
KINDS = ["single"] * 8 + ["multiple"] * 4 + ["scale"] * 4 + ["number"] * 2 + ["text"] * 2
DISTRICTS = ("Bekkestua", "Fornebu", "Jar", "Sandvika", "Stabekk", "Østerås")


def build(path: Path, responses: int) -> int:
    """A migrated file with a closed survey of twenty questions and its responses; its id."""
    from store.actors import Actor
    from store.db import Database
    from store.migrate import upgrade
    from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec
    from store.surveys import create_survey, get_survey

    db = Database(f"sqlite:///{path}")
    upgrade(db)
    questions = []
    for n, kind in enumerate(KINDS):
        options = (
            [OptionSpec(f"Svar {o}") for o in range(5)] if kind in ("single", "multiple") else []
        )
        bounds = {"scale": (1, 5), "number": (0, 100)}.get(kind, (None, None))
        questions.append(QuestionSpec(f"q{n}", kind, f"Spørsmål {n}?", options=options,
                                      min_value=bounds[0], max_value=bounds[1]))  # fmt: skip
    survey_id = create_survey(
        db, actor=Actor.operator(), spec=SurveySpec("Stor", questions=questions)
    )
    spec = get_survey(db, actor=Actor.operator(), survey_id=survey_id).spec
    db.dispose()

    rng = random.Random(1)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    with connection:
        connection.executemany(
            "INSERT INTO participant (id, email_key, language, status, created_at) "
            "VALUES (?, ?, 'nb', 'active', ?)",
            [(i + 1, f"p{i}@x.no", start.isoformat()) for i in range(responses)],
        )
        connection.executemany(
            "INSERT INTO invitation (id, survey_id, participant_id, token_hash, reminders, "
            "created_at, sent_at, started_at, completed_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)",
            [(i + 1, survey_id, i + 1, f"h{i}", start.isoformat(), start.isoformat(),
              start.isoformat(), start.isoformat()) for i in range(responses)],
        )  # fmt: skip
        response_rows, answer_rows = [], []
        for i in range(responses):
            day = (start + timedelta(days=rng.randrange(20))).isoformat(sep=" ")
            groups = (rng.choice(("16–24", "35–49", "67+")), rng.choice(("female", "male")),
                      rng.choice(DISTRICTS))  # fmt: skip
            response_rows.append((i + 1, survey_id, *groups, day))
            for question in spec.questions:
                if question.kind == "single":
                    answer_rows.append(
                        (i + 1, question.id, rng.choice(question.options).id, None, None)
                    )
                elif question.kind == "multiple":
                    for option in rng.sample(question.options, rng.randint(1, 3)):
                        answer_rows.append((i + 1, question.id, option.id, None, None))
                elif question.kind == "scale":
                    answer_rows.append((i + 1, question.id, None, rng.randint(1, 5), None))
                elif question.kind == "number":
                    answer_rows.append((i + 1, question.id, None, rng.randint(0, 100), None))
                elif rng.random() < 0.3:
                    answer_rows.append((i + 1, question.id, None, None, "Et svar i fritekst."))
        connection.executemany(
            "INSERT INTO response (id, survey_id, age_band, gender, district, submitted_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            response_rows,
        )
        connection.executemany(
            "INSERT INTO answer (response_id, question_id, option_id, number_value, text_value) "
            "VALUES (?, ?, ?, ?, ?)",
            answer_rows,
        )
    connection.execute("ANALYZE")
    connection.close()
    return survey_id


def raw(path: Path, survey_id: int) -> None:
    connection = sqlite3.connect(path)
    questions = connection.execute(
        "SELECT id, kind FROM question WHERE survey_id = ? ORDER BY position", (survey_id,)
    ).fetchall()
    for question_id, kind in questions:
        if kind in ("single", "multiple"):
            sql = "SELECT option_id, count(*) FROM answer WHERE question_id = ? GROUP BY option_id"
        elif kind in ("scale", "number"):
            sql = ("SELECT number_value, count(*) FROM answer WHERE question_id = ? "
                   "GROUP BY number_value")  # fmt: skip
        else:
            sql = "SELECT count(*) FROM answer WHERE question_id = ?"
        connection.execute(sql, (question_id,)).fetchall()
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from store.actors import Actor
    from store.db import Database
    from store.results import survey_results

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.db"
        print(f"building {args.responses:,} responses to {len(KINDS)} questions …", file=sys.stderr)
        survey_id = build(path, args.responses)
        db = Database(f"sqlite:///{path}")
        actor = Actor.operator()
        first = time.perf_counter()
        results = survey_results(db, actor=actor, survey_id=survey_id)
        cold = time.perf_counter() - first
        assert results.responses == args.responses, results.responses
        ours, baseline = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            survey_results(db, actor=actor, survey_id=survey_id)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            raw(path, survey_id)
            baseline.append(time.perf_counter() - start)
        db.dispose()
    mine, theirs = statistics.median(ours), statistics.median(baseline)
    print(f"results of a survey with {args.responses:,} responses to {len(KINDS)} questions, "
          f"SQLite (median of {args.runs})")  # fmt: skip
    print(f"  {'':<48}{'seconds':>9}")
    print(f"  {'ours: everything the results screen shows':<48}{mine:>9.3f}")
    print(f"  {'ours, the first time (cold caches)':<48}{cold:>9.3f}   (aim: under 1 s)")
    print(f"  {'raw SQL: one GROUP BY per question':<48}{theirs:>9.3f}")
    print(f"  {'ratio, ours / raw':<48}{mine / theirs:>8.2f}×   (aim: at most 1.5×)")
    from tests.bench.summary import record

    record("results", f"results of {args.responses:,} responses", mine, theirs, unit="s",
           against="one raw GROUP BY per question", aim="at most 1.5×; cold under 1 s")  # fmt: skip


if __name__ == "__main__":
    main()
