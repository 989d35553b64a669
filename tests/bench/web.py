"""Residents answering a survey at once: the residents' site against a bare Starlette handler.

    uv run python tests/bench/web.py [--residents 50] [--submissions 1000]

RESIDENTS residents at a time, SUBMISSIONS in all, each answering through a personal link as a
browser would: GET the page, read its CSRF field, side and questions, POST the answers (with
Origin, the site's own address, and Sec-Fetch-Site: same-origin), follow the 303 with a GET,
and so on to the thanks page. Each resident slot is an httpx.AsyncClient of its own (one
browser, keep-alive) over real sockets to uvicorn on 127.0.0.1, which serves in a process of
its own as `panel web` does (one process, no access log, no server header), so the client does
not share its interpreter. Before the clock starts, RESIDENTS more submissions warm both up.

- ours: `web.app.create_app` on a SQLite file with a survey open and its invitations queued,
  built by tests/web/conftest.py's `make_world` (its `climate` survey: two pages, a
  condition, every question kind). Rate limits are set far above what is reached; `base_url`
  is the server's own address, so the origin and CSRF checks pass.
- bare: a Starlette app with one route: its GET returns a fixed page of the same form shape,
  its POST parses the form and inserts one row (token, page, action, the answers as JSON) into
  a SQLite file with the store's pragmas (store/db.py), in `BEGIN IMMEDIATE` on one sqlite3
  connection per thread, through `asyncio.to_thread` as the site runs its store calls. No
  token lookup, templates, CSRF, rate limits or security headers.

Both take the same five requests for a submission (GET, POST next, GET, POST submit, GET the
thanks), and both write twice: ours saves the draft and then the response, the bare handler
inserts a row for each POST. So the ratio is what a submission costs beyond HTTP, form parsing
and a SQLite commit. The figures: submissions a second over the whole run; p50 and p99 of the
submitting POST (sent to its 303 received) and of a whole submission (first GET to thanks); the
server process's CPU time (all its threads, from /proc) per submission. The servers share two
cores with the client, whose own cost is in both: the bare server is mostly idle, waiting on
httpx, so the CPU column says more of what the site costs than the throughput ratio does.
Afterwards the stored responses are counted in each database. It reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

KEY_TEXT = "cGFuZWwtYmVuY2gtc2VydmVyLWtleS0zMi1ieXRlcyE="  # fixed, so the server can read links
TIMEOUT = 60.0  # seconds for one request: far beyond a healthy one, so slowness is measured
MAX_PAGES = 10
THANKS = "Takk for svarene!"  # the `climate` survey's thank-you text, and the bare handler's

# What a resident fills in, by field name: each page posts those of its fields that it shows.
ANSWERS: dict[str, str | list[str]] = {
    "q-aware": "0",  # "Ja": the condition on it shows "ideas"
    "q-worry": "4",
    "q-ideas": "Flere sykkelveier",
    "q-measures": ["0", "2"],
    "q-age": "42",
}
ANSWER_ROWS = 6  # aware, worry, ideas, two measures, age

# The bare handler's connection is set up as the store's own (store/db.py).
PRAGMAS = (
    "journal_mode = WAL",
    "foreign_keys = ON",
    "busy_timeout = 10000",
    "secure_delete = ON",
    "synchronous = NORMAL",
)
BARE_PAGES = (("q-aware", "q-worry"), ("q-ideas", "q-measures", "q-age"))

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SIDE = re.compile(r'name="side" value="(\d+)"')
FIELD = re.compile(r'name="(q-[\w-]+)"')


# The worlds ---------------------------------------------------------------------------------


def build_ours(path: Path, people: int) -> tuple[int, list[str]]:
    """A survey open and sent to `people` residents; its id and their tokens."""
    from store.db import Database
    from store.migrate import upgrade
    from store.secrets import ServerKey
    from tests.web.conftest import make_world

    db = Database(f"sqlite:///{path}")
    upgrade(db)
    world = make_world(db, ServerKey.from_text(KEY_TEXT), people=people)
    db.dispose()
    return world.survey_id, list(world.tokens.values())


def build_bare(path: Path, people: int) -> list[str]:
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE posted (id INTEGER PRIMARY KEY, token TEXT NOT NULL, side INTEGER NOT NULL, "
        "action TEXT NOT NULL, answers TEXT NOT NULL)"
    )
    connection.close()
    return [secrets.token_urlsafe(24) for _ in range(people)]


def stored_ours(path: Path, survey_id: int) -> tuple[int, int, int]:
    """Responses to the survey, their answer rows, and invitations marked complete."""
    connection = sqlite3.connect(path)
    responses, answers = connection.execute(
        "SELECT count(DISTINCT r.id), count(a.id) FROM response r "
        "LEFT JOIN answer a ON a.response_id = r.id WHERE r.survey_id = ?",
        (survey_id,),
    ).fetchone()
    [completed] = connection.execute(
        "SELECT count(*) FROM invitation WHERE survey_id = ? AND completed_at IS NOT NULL",
        (survey_id,),
    ).fetchone()
    connection.close()
    return responses, answers, completed


def stored_bare(path: Path) -> int:
    connection = sqlite3.connect(path)
    [count] = connection.execute(
        "SELECT count(DISTINCT token) FROM posted WHERE action = 'submit'"
    ).fetchone()
    connection.close()
    return count


# The servers, each in a process of its own --------------------------------------------------


def ours_app(path: str, url: str) -> Any:
    from store.db import Database
    from store.secrets import ServerKey
    from web.app import create_app
    from web.config import WebConfig

    limitless = 1_000_000_000
    config = WebConfig(base_url=url, posts_per_minute_per_client=limitless,
                       posts_per_minute_per_link=limitless)  # fmt: skip
    return create_app(Database(f"sqlite:///{path}"), ServerKey.from_text(KEY_TEXT), config)


def bare_app(path: str, url: str) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, RedirectResponse, Response
    from starlette.routing import Route

    local = threading.local()

    def insert(token: str, side: int, action: str, answers: str) -> None:
        connection: sqlite3.Connection | None = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = sqlite3.connect(path, isolation_level=None)
            for pragma in PRAGMAS:
                connection.execute(f"PRAGMA {pragma}")
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "INSERT INTO posted (token, side, action, answers) VALUES (?, ?, ?, ?)",
                (token, side, action, answers),
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    async def survey(request: Request) -> Response:
        token = request.path_params["token"]
        if request.method == "POST":
            form = await request.form()
            side, action = _number(form.get("side")), str(form.get("action"))
            answers = {name: form.getlist(name) for name in form if name.startswith("q-")}
            await asyncio.to_thread(insert, token, side, action, json.dumps(answers))
            following = "sendt=1" if action == "submit" else f"side={side + 1}"
            return RedirectResponse(f"/s/{token}?{following}", status_code=303)
        if request.query_params.get("sendt"):
            return HTMLResponse(f"<!doctype html><title>Takk</title><p>{THANKS}</p>")
        return HTMLResponse(bare_page(_number(request.query_params.get("side"))))

    return Starlette(routes=[Route("/s/{token}", survey, methods=["GET", "POST"])])


def bare_page(side: int) -> str:
    side = min(side, len(BARE_PAGES) - 1)
    fields = "".join(f'<input name="{name}" value="0">' for name in BARE_PAGES[side])
    action = "submit" if side == len(BARE_PAGES) - 1 else "next"
    return (
        '<!doctype html><title>Klima</title><form method="post">'
        f'<input type="hidden" name="csrf" value="-"><input type="hidden" name="side" '
        f'value="{side}">{fields}<button name="action" value="{action}">OK</button></form>'
    )


def _number(value: Any) -> int:
    text = str(value)
    return int(text) if text.isdigit() else 0


APPS = {"ours": ours_app, "bare": bare_app}


def serve(kind: str, path: str) -> None:
    """Serve `kind` on an ephemeral loopback port; print its address once it listens."""
    import uvicorn

    # IPPROTO_TCP, as uvicorn's own binding gives: asyncio then sets TCP_NODELAY on every
    # connection (it does not for a socket of protocol 0, and Nagle stalls each page 40 ms).
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    config = uvicorn.Config(APPS[kind](path, url), log_level="warning", lifespan="off",
                            server_header=False)  # fmt: skip
    server = uvicorn.Server(config)

    async def run() -> None:
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        print(url, flush=True)
        await serving

    asyncio.run(run())


@contextmanager
def serving(kind: str, path: Path, log: Path) -> Iterator[tuple[str, int]]:
    """The server's address and process id while it runs; its stderr goes to `log`."""
    with log.open("w") as errors:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, str(path)],
            stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT,
        )  # fmt: skip
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http://") or server.poll() is not None:
            server.wait(10)
            raise SystemExit(f"the {kind} server did not start:\n{log.read_text()[-3000:]}")
        yield url, server.pid
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def cpu_seconds(pid: int) -> float:
    """The CPU time a process (every thread of it) has used so far; NaN where /proc is not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    user, system = stat.rpartition(")")[2].split()[11:13]
    return (int(user) + int(system)) / os.sysconf("SC_CLK_TCK")


# The residents ------------------------------------------------------------------------------


class Failed(Exception):
    """A step of a submission got something other than what a browser expects next."""


@dataclass
class Run:
    seconds: float = 0.0
    server_cpu: float = 0.0  # seconds
    posts: list[float] = field(default_factory=list)  # the submitting POSTs, seconds
    wholes: list[float] = field(default_factory=list)  # whole submissions, seconds
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        """Submissions completed a second."""
        return len(self.wholes) / self.seconds

    @property
    def cpu_per_submission(self) -> float:
        """Milliseconds of the server's CPU time for each submission completed."""
        return self.server_cpu / len(self.wholes) * 1000 if self.wholes else float("nan")

    @staticmethod
    def percentiles(values: list[float]) -> tuple[float, float]:
        """p50 and p99, in milliseconds."""
        if len(values) < 2:
            return (values[0] * 1000,) * 2 if values else (float("nan"),) * 2
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return statistics.median(values) * 1000, cuts[98] * 1000


async def fetch(
    client: httpx.AsyncClient, method: str, url: str, expected: int, step: str, **kwargs: Any
) -> httpx.Response:
    import httpx

    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise Failed(f"{step}: {type(error).__name__}") from error
    if response.status_code != expected:
        raise Failed(f"{step}: status {response.status_code}")
    return response


def filled(page: str) -> dict[str, str | list[str]]:
    """The form on `page` as a resident sends it: every field shown, answered."""
    csrf, side = CSRF.search(page), SIDE.search(page)
    if csrf is None or side is None:
        raise Failed("page: no form")
    try:
        answers = {name: ANSWERS[name] for name in dict.fromkeys(FIELD.findall(page))}
    except KeyError as unknown:
        raise Failed(f"page: unexpected field {unknown}") from None
    action = "submit" if 'name="action" value="submit"' in page else "next"
    return {"csrf": csrf[1], "side": side[1], "action": action, **answers}


async def submission(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> tuple[float, float]:
    """One resident's answers, first page to thanks: seconds of the submitting POST, of all."""
    start = time.perf_counter()
    page = await fetch(client, "GET", path, 200, "first GET")
    for _ in range(MAX_PAGES):
        form = filled(page.text)
        sent = time.perf_counter()
        posted = await fetch(client, "POST", path, 303, f"POST {form['action']}", data=form,
                             headers=headers)  # fmt: skip
        posting = time.perf_counter() - sent
        page = await fetch(client, "GET", posted.headers["location"], 200, "GET after POST")
        if form["action"] == "submit":
            if THANKS not in page.text:
                raise Failed("no thanks page")
            return posting, time.perf_counter() - start
    raise Failed(f"no last page in {MAX_PAGES}")


async def residents(
    clients: list[httpx.AsyncClient], tokens: list[str], headers: dict[str, str]
) -> Run:
    run, links = Run(), iter(tokens)

    async def resident(client: httpx.AsyncClient) -> None:
        for token in links:
            try:
                posting, whole = await submission(client, f"/s/{token}", headers)
            except Failed as failed:
                run.failures[str(failed)] += 1
                continue
            run.posts.append(posting)
            run.wholes.append(whole)

    start = time.perf_counter()
    await asyncio.gather(*(resident(client) for client in clients))
    run.seconds = time.perf_counter() - start
    return run


async def measure(
    url: str, pid: int, warm_up: list[str], tokens: list[str], concurrency: int
) -> Run:
    import httpx

    headers = {"origin": url, "sec-fetch-site": "same-origin"}  # a same-origin form post
    clients = [httpx.AsyncClient(base_url=url, timeout=TIMEOUT) for _ in range(concurrency)]
    try:
        warm = await residents(clients, warm_up, headers)
        cpu = cpu_seconds(pid)
        run = await residents(clients, tokens, headers)
        run.server_cpu = cpu_seconds(pid) - cpu
        run.failures.update({f"warm-up, {k}": n for k, n in warm.failures.items()})
        return run
    finally:
        for client in clients:
            await client.aclose()


def server_errors(log: Path) -> list[str]:
    """What the server wrote to stderr that speaks of trouble."""
    words = ("Traceback", "Exception", "Error", "error", "locked", "busy")
    return [line for line in log.read_text().splitlines() if any(w in line for w in words)]


# Main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=50, help="submitting at once")
    parser.add_argument("--submissions", type=int, default=1000, help="in all")
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    warm, count = args.residents, args.submissions
    with tempfile.TemporaryDirectory() as tmp:
        ours_db, bare_db = Path(tmp) / "panel.db", Path(tmp) / "bare.db"
        print(f"sending a survey to {warm + count:,} residents …", file=sys.stderr)
        survey_id, tokens = build_ours(ours_db, warm + count)
        bare_tokens = build_bare(bare_db, warm + count)
        runs: dict[str, Run] = {}
        errors: dict[str, list[str]] = {}
        for kind, path, links in (("ours", ours_db, tokens), ("bare", bare_db, bare_tokens)):
            print(f"{kind}: {count:,} submissions, {args.residents} at once …", file=sys.stderr)
            log = Path(tmp) / f"{kind}.log"
            with serving(kind, path, log) as (url, pid):
                runs[kind] = asyncio.run(
                    measure(url, pid, links[:warm], links[warm:], args.residents)
                )
            errors[kind] = server_errors(log)
        stored = stored_ours(ours_db, survey_id), stored_bare(bare_db)
    report(args, runs, stored, errors)


def report(
    args: argparse.Namespace,
    runs: dict[str, Run],
    stored: tuple[tuple[int, int, int], int],
    errors: dict[str, list[str]],
) -> None:
    figures = {
        kind: (
            run.rate,
            *Run.percentiles(run.posts),
            *Run.percentiles(run.wholes),
            run.cpu_per_submission,
        )
        for kind, run in runs.items()
    }
    print(
        f"{args.residents} residents submitting answers at once, {args.submissions:,} "
        "submissions, SQLite (uvicorn on loopback)"
    )
    print(f"  {'':<32}{'':>9}{'submitting POST':>20}{'whole submission':>20}{'server CPU':>12}")
    print(f"  {'':<32}{'per s':>9}" + f"{'p50 ms':>10}{'p99 ms':>10}" * 2 + f"{'ms each':>12}")
    for label, kind in (("ours: the residents' site", "ours"),
                        ("bare Starlette insert handler", "bare")):  # fmt: skip
        rate, *latencies, cpu = figures[kind]
        print(f"  {label:<32}{rate:>9.1f}" + "".join(f"{v:>10.1f}" for v in latencies)
              + f"{cpu:>12.1f}")  # fmt: skip
    pairs = zip(figures["ours"], figures["bare"], strict=True)
    rate, *latencies, cpu = (o / b if b else float("nan") for o, b in pairs)
    print(f"  {'ratio, ours / bare':<32}{rate:>8.2f}×" + "".join(f"{v:>9.1f}×" for v in latencies)
          + f"{cpu:>11.1f}×")  # fmt: skip
    print("  (server CPU: the server process's, all its threads, over the measured run)")
    from tests.bench.summary import record

    record(
        "web",
        "submissions a second",
        figures["ours"][0],
        figures["bare"][0],
        unit="/s",
        against="bare Starlette insert",
    )
    record("web", "server CPU a submission", figures["ours"][-1], figures["bare"][-1], unit="ms",
           against="bare Starlette insert")  # fmt: skip

    (responses, answers, completed), rows = stored
    expected = args.residents + args.submissions  # with the warm-up's
    print(f"stored (with {args.residents} warm-up submissions each; {expected:,} expected):")
    whole = responses == completed == expected and answers == ANSWER_ROWS * expected
    print(f"  ours: {responses:,} responses with {answers:,} answers "
          f"({ANSWER_ROWS * expected:,} expected), {completed:,} invitations complete"
          f"   {'ok' if whole else 'MISSING'}")  # fmt: skip
    print(f"  bare: {rows:,} submitted rows   {'ok' if rows == expected else 'MISSING'}")
    for kind, run in runs.items():
        for failure, times in run.failures.most_common():
            print(f"  {kind}: {times:,} submissions failed at {failure}")
        if errors[kind]:
            print(f"  {kind}: the server logged {len(errors[kind]):,} lines of trouble, first:")
            for line in errors[kind][:5]:
                print(f"    {line[:160]}")


if __name__ == "__main__":
    main()
