"""Roster speed at 100,000 participants, against a plain Textual DataTable holding every row.

    uv run python tests/bench/roster.py [--size 100000] [--runs 5]

Measures, each in a fresh process, with the app headless (`App.run_test`):
- open: from switching to the roster to the first frame showing its first page;
- keystroke: from a key put in the driver's queue to the first frame showing the result (the
  right count, every row on screen matching, and the first match in name order on screen);
- memory: Python heap (tracemalloc) after opening, at 100,000 and at 1,000 participants.
Every frame is turned into terminal escape sequences, as the real driver does (see `Frames`).
The baseline loads the same rows into a plain DataTable and filters by clearing and re-adding.
It reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

KEYS = "bakk"  # typed one at a time (names hold these; the addresses do not)


def build(path: Path, size: int) -> None:
    from sqlalchemy import insert

    from store.db import Database
    from store.migrate import upgrade
    from store.models import Interest, Participant, ParticipantInterest
    from store.reference import BAERUM_DISTRICTS

    rng = random.Random(size)
    first = ["Ola", "Kari", "Åse", "Ørjan", "Per", "Nina", "Lars", "Ingrid", "Mona", "Jonas"]
    last = ["Hansen", "Olsen", "Berg", "Ødegård", "Haugen", "Lie", "Dahl", "Moen", "Aas", "Bakke"]
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    with db.write() as session:
        session.add_all(Interest(name=n) for n in ("Klima og miljø", "Samferdsel", "Kultur"))
        session.flush()
        rows = []
        for i in range(size):
            email = f"deltaker{i}@example.no"
            rows.append(
                dict(
                    name=f"{rng.choice(first)} {rng.choice(last)} {i}",
                    email=email,
                    email_key=email,
                    gender=rng.choice(["female", "male"]),
                    birth_year=rng.randint(1935, 2008),
                    district=rng.choice(BAERUM_DISTRICTS),
                    status="active",
                    language="nb",
                    source=rng.choice(["Budstikka", "Facebook", "Bæringen"]),
                )
            )
        for start in range(0, size, 5000):
            session.execute(insert(Participant), rows[start : start + 5000])
        links = [dict(participant_id=i, interest_id=1 + i % 3) for i in range(1, size + 1)]
        for start in range(0, size, 5000):
            session.execute(insert(ParticipantInterest), links[start : start + 5000])
    db.dispose()


class Frames:
    """Times the frames the app renders, each turned into terminal output as a real one is.

    The headless driver skips writing to a terminal; this renders every update to its escape
    sequences as the real driver does, then notes the time, so a figure covers the whole path
    from a key to the characters a terminal would receive. Keys go straight to the driver's
    queue, without the Pilot's waits for idleness (about 70 ms a key, on both sides).
    """

    def __init__(self, app) -> None:
        self.app = app
        self.watch = None
        self.done: float | None = None
        display = app._display

        def timed(screen, renderable) -> None:
            if renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)
                if self.watch is not None and self.done is None and self.watch():
                    painted = time.perf_counter()
                    if self.looks_right(screen):
                        self.done = painted
            display(screen, renderable)

        app._display = timed

    def looks_right(self, screen) -> bool:
        """The whole screen, as the terminal now shows it, holds the first expected name."""
        update = screen._compositor.render_update(full=True)
        return self.first_name in update.render_segments(self.app.console)

    async def until(self, predicate, start: float, first_name: str, timeout=120.0) -> float:
        """Seconds from `start` to the first frame that shows the new rows.

        That is the first frame rendered once `predicate()` holds whose screen, rendered in
        full afterwards, shows `first_name` (a check that the frame's time does not include).
        """
        self.watch, self.done, self.first_name = predicate, None, first_name
        while self.done is None:
            if time.perf_counter() - start > timeout:
                raise TimeoutError("the table did not update")
            await asyncio.sleep(0.0005)
        self.watch = None
        return self.done - start

    def key(self, key: str) -> float:
        from textual import events

        event = events.Key(key, key)
        event.set_sender(self.app)
        start = time.perf_counter()
        self.app._driver.send_message(event)
        return start


def showing(rows: list[list[str]], query: str) -> bool:
    """Every row on screen matches `query` in its name or email, and there is at least one."""
    return bool(rows) and all(query in (row[0] + row[1]).casefold() for row in rows)


def expected(path: Path) -> dict[str, tuple[int, str]]:
    """For each prefix of KEYS, how many participants match and the first name in order."""
    import sqlite3

    connection = sqlite3.connect(path)
    found = {}
    for n in range(len(KEYS) + 1):
        where = "WHERE lower(name) LIKE ? OR email_key LIKE ?"
        pattern = (f"%{KEYS[:n]}%",) * 2
        count = connection.execute(f"SELECT count(*) FROM participant {where}", pattern)
        first = connection.execute(
            f"SELECT name FROM participant {where} ORDER BY name, id LIMIT 1", pattern
        )
        found[KEYS[:n]] = (count.fetchone()[0], first.fetchone()[0])
    connection.close()
    return found


async def measure_ours(path: Path) -> dict:
    from pydantic import SecretStr

    from store.actors import Actor
    from store.db import Database
    from store.secrets import ServerKey
    from tui.app import create_app
    from tui.backend import Backend, warm_up
    from tui.i18n import use_language
    from tui.settings import load_settings
    from tui.widgets.roster_table import RosterTable

    use_language("en")
    warm_up()  # the app does this in the background while staff log in
    counts = expected(path)
    settings = load_settings(data_dir=path.parent, secret_key=SecretStr("x" * 44))
    backend = Backend(settings=settings, db=Database(f"sqlite:///{path}"), key=ServerKey.generate())
    app = create_app(settings, backend=backend)
    async with app.run_test(size=(120, 40)) as pilot:
        frames = Frames(app)
        app.actor = Actor.operator()

        def shows(query: str):
            def check() -> bool:
                table = app.screen.query_one(RosterTable)
                return table.matching == counts[query][0] and showing(table.on_screen(), query)

            return check

        start = time.perf_counter()
        await app.switch_mode("participants")
        opened = await frames.until(shows(""), start, counts[""][1])
        memory = tracemalloc.get_traced_memory()[0]
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused is app.screen.query_one("#roster-search"), app.focused
        strokes = []
        for n, key in enumerate(KEYS, start=1):
            query = KEYS[:n]
            strokes.append(await frames.until(shows(query), frames.key(key), counts[query][1]))
            await pilot.pause()
    backend.close()
    return {"open": opened, "keystroke": statistics.median(strokes), "memory": memory}


async def measure_plain(path: Path) -> dict:
    import sqlite3

    from textual.app import App
    from textual.widgets import DataTable, Input

    counts = expected(path)

    class Plain(App):
        """Every row in a DataTable; each keystroke in the search reloads it."""

        def compose(self):
            yield Input(id="search")
            yield DataTable(id="table")

        def on_mount(self) -> None:
            self.query_one(DataTable).add_columns(
                "name", "email", "gender", "born", "district", "status", "source"
            )

        def on_input_changed(self, event: Input.Changed) -> None:
            table = self.query_one(DataTable)
            table.clear()
            table.add_rows(load(event.value))

    def load(query: str = "") -> list[tuple]:
        connection = sqlite3.connect(path)
        rows = connection.execute(
            "SELECT name, email, gender, birth_year, district, status, source FROM participant "
            "WHERE lower(name) LIKE ? OR email_key LIKE ? ORDER BY name",
            (f"%{query}%", f"%{query}%"),
        ).fetchall()
        connection.close()
        return rows

    app = Plain()
    async with app.run_test(size=(120, 40)) as pilot:
        frames = Frames(app)
        table = app.query_one(DataTable)

        def shows(query: str):
            def check() -> bool:
                count = min(table.row_count, table.size.height - 1)
                on_screen = [[str(c) for c in table.get_row_at(i)] for i in range(count)]
                return table.row_count == counts[query][0] and showing(on_screen, query)

            return check

        start = time.perf_counter()
        table.add_rows(load())
        opened = await frames.until(shows(""), start, counts[""][1])
        memory = tracemalloc.get_traced_memory()[0]
        await pilot.click("#search")
        await pilot.pause()
        strokes = []
        for n, key in enumerate(KEYS, start=1):
            query = KEYS[:n]
            strokes.append(await frames.until(shows(query), frames.key(key), counts[query][1]))
            await pilot.pause()
    return {"open": opened, "keystroke": statistics.median(strokes), "memory": memory}


def child(kind: str, path: str, memory: str) -> None:
    if memory == "memory":  # tracing slows Python down: times come from runs without it
        tracemalloc.start()
    measure = measure_ours if kind == "ours" else measure_plain
    print(json.dumps(asyncio.run(measure(Path(path)))))


def run(kind: str, path: Path, memory: bool = False) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), "memory" if memory else "time"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.db", Path(tmp) / "small.db"
        print(f"building {args.size:,} and 1,000 participants …", file=sys.stderr)
        build(big, args.size)
        build(small, 1000)
        ours = [run("ours", big) for _ in range(args.runs)]
        plain = [run("plain", big) for _ in range(args.runs)]
        big_memory = run("ours", big, memory=True)["memory"]
        plain_memory = run("plain", big, memory=True)["memory"]
        small_memory = run("ours", small, memory=True)["memory"]

    def med(results: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in results)

    o_open, p_open = med(ours, "open"), med(plain, "open")
    o_key, p_key = med(ours, "keystroke"), med(plain, "keystroke")
    o_mem, s_mem = big_memory, small_memory
    print(f"roster at {args.size:,} participants ({args.runs} runs each, median)")
    print(f"  {'':<34}{'roster':>10}{'plain table':>14}{'ratio':>9}")
    print(
        f"  {'open to first page painted':<34}{o_open * 1000:>8.0f} ms{p_open * 1000:>11.0f} ms"
        f"{p_open / o_open:>8.1f}×   (aim: under 500 ms, at least 20×)"
    )
    print(
        f"  {'keystroke to table repainted':<34}{o_key * 1000:>8.0f} ms{p_key * 1000:>11.0f} ms"
        f"{p_key / o_key:>8.1f}×   (aim: under 100 ms)"
    )
    print(
        f"  {'Python heap after opening':<34}{o_mem / 1e6:>7.1f} MB{plain_memory / 1e6:>10.1f} MB"
    )
    print(
        f"  {f'heap at {args.size:,} vs 1,000':<34}{o_mem / 1e6:>7.1f} MB{s_mem / 1e6:>10.1f} MB"
        f"{o_mem / s_mem:>8.2f}×   (aim: at most 1.5×)"
    )
    from tests.bench.summary import record

    record(
        "roster",
        f"open {args.size:,} to first page",
        o_open * 1000,
        p_open * 1000,
        unit="ms",
        against="plain DataTable",
        aim="under 500 ms, at least 20× faster",
    )
    record(
        "roster",
        "keystroke to repaint",
        o_key * 1000,
        p_key * 1000,
        unit="ms",
        against="plain DataTable",
        aim="under 100 ms",
    )
    record("roster", f"heap at {args.size:,}", o_mem / 1e6, s_mem / 1e6, unit="MB",
           against="ours at 1,000", aim="at most 1.5×")  # fmt: skip


if __name__ == "__main__":
    main()
