"""How long `panel` takes from start to a painted login screen, against a bare Textual app.

    uv run python tests/bench/startup.py [--runs N] [--quick]

Each program runs in a pseudo-terminal of 80x24 (TERM=xterm-256color), as staff would start it
over SSH; the clock stops when the program's marker text shows up in what it writes to the
terminal (escape sequences stripped). `panel` runs against a real database made by `panel init`
in a temporary data dir; the baseline is a Textual app with one Input, run by the same Python.
The bytecode of both is compiled first, as an installed release has it. After a warm-up run of
each, the two alternate. The script reports; it does not assert.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROWS, COLUMNS = 24, 80
TIMEOUT = 60.0  # seconds for one start; far beyond any healthy run
AIM = 2.0
PACKAGES = ("store", "mail", "web", "tui")  # the project's own code

PANEL = str(Path(sys.executable).parent / "panel")
PANEL_MARKER = "Log in to Innbyggerpanelet"
BASELINE_MARKER = "BASELINE READY"
BASELINE_APP = f'''\
from textual.app import App, ComposeResult
from textual.widgets import Input


class Baseline(App):
    def compose(self) -> ComposeResult:
        yield Input(placeholder="{BASELINE_MARKER}")


if __name__ == "__main__":
    Baseline().run()
'''

# CSI (incl. private modes), OSC (ended by BEL or ST), DCS/APC/PM/SOS strings, two-byte escapes.
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[P_^X][^\x1b]*\x1b\\"
    r"|\x1b[@-Z\\-_]"
    r"|\x1b[()*+][0-~]"
)


class StartFailed(Exception):
    pass


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def clean_env(home: Path) -> dict[str, str]:
    """The caller's environment without PANEL_*/TEXTUAL*, a terminal of our own, HOME in `home`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PANEL_", "TEXTUAL", "TMUX")) and k not in ("COLUMNS", "LINES")
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        TERM="xterm-256color",
        COLORTERM="truecolor",
    )
    return env


def _controlling_terminal() -> None:
    """In the child, after setsid: make the pty (now fd 0) its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def time_to_marker(argv: Sequence[str], env: Mapping[str, str], marker: str) -> float:
    """Seconds from spawning `argv` in a fresh pty until `marker` is on its terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    output = bytearray()
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dict(env),
        close_fds=True,
        start_new_session=True,
        preexec_fn=_controlling_terminal,  # safe: this script runs no threads
    )
    os.close(slave)
    try:
        deadline = started + TIMEOUT
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise StartFailed(f"no {marker!r} within {TIMEOUT:.0f} s")
            ready, _, _ = select.select([master], [], [], min(remaining, 0.5))
            if not ready:
                if process.poll() is not None:
                    raise StartFailed(f"exited with status {process.returncode}")
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                raise StartFailed(f"closed its terminal (status {process.poll()})")
            output += chunk
            if marker in strip_ansi(output.decode("utf-8", errors="replace")):
                return time.perf_counter() - started
    except StartFailed as exc:
        tail = strip_ansi(output.decode("utf-8", errors="replace")).strip()[-600:]
        raise StartFailed(f"{argv[0]}: {exc}; its terminal ended with:\n{tail}") from None
    finally:
        _stop(process, master)


def _stop(process: subprocess.Popen, master: int) -> None:
    """SIGTERM, then SIGKILL after a grace period; keep draining the pty so it cannot block."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        while process.poll() is None and time.monotonic() < deadline:
            _drain(master, 0.05)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    os.close(master)


def _drain(master: int, timeout: float) -> None:
    ready, _, _ = select.select([master], [], [], timeout)
    if ready:
        with contextlib.suppress(OSError):
            os.read(master, 65536)


def compile_bytecode() -> None:
    """Write the bytecode of every module either program imports, as an installed release has
    it (`uv sync --compile-bytecode`, or pip's install, in the README). Without it, and with
    PYTHONDONTWRITEBYTECODE set (as on some machines), every run would compile its imports from
    source, which measures the compiler rather than the start."""
    import compileall
    import sysconfig

    root = Path(__file__).resolve().parents[2]
    folders = [sysconfig.get_paths()["purelib"], *(root / name for name in PACKAGES)]
    for folder in folders:
        compileall.compile_dir(str(folder), quiet=1, workers=0)


def prepare(workdir: Path) -> tuple[list[str], dict[str, str], list[str], dict[str, str]]:
    """`panel init` into a temporary data dir, and the baseline app written to a file."""
    env = clean_env(workdir / "home")
    panel_env = {**env, "PANEL_DATA_DIR": str(workdir / "data"), "PANEL_LANGUAGE": "en"}
    init = subprocess.run(
        [PANEL, "init", "--admin", "bench", "--password-stdin"],
        input="benchmark password 1\n",
        capture_output=True,
        text=True,
        env=panel_env,
        timeout=300,
        check=False,
    )
    if init.returncode != 0:
        sys.exit(f"panel init failed ({init.returncode}):\n{init.stdout}{init.stderr}")
    baseline = workdir / "baseline_app.py"
    baseline.write_text(BASELINE_APP, encoding="utf-8")
    return [PANEL], panel_env, [sys.executable, str(baseline)], env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="measured runs of each (default 7)")
    parser.add_argument("--quick", action="store_true", help="3 runs of each")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else args.runs
    if runs < 1:
        parser.error("--runs must be at least 1")
    if not Path(PANEL).exists():
        sys.exit(f"{PANEL} is missing: run `uv sync` first")

    compile_bytecode()
    workdir = Path(tempfile.mkdtemp(prefix="panel-bench-"))
    try:
        panel_argv, panel_env, bare_argv, bare_env = prepare(workdir)
        programs = {
            "panel": (panel_argv, panel_env, PANEL_MARKER),
            "bare Textual": (bare_argv, bare_env, BASELINE_MARKER),
        }
        times: dict[str, list[float]] = {name: [] for name in programs}
        try:
            for argv_, env, marker in programs.values():  # warm-up: the file cache
                time_to_marker(argv_, env, marker)
            names = list(programs)
            for n in range(runs):
                for name in names if n % 2 == 0 else names[::-1]:  # alternate which goes first
                    argv_, env, marker = programs[name]
                    times[name].append(time_to_marker(argv_, env, marker))
        except StartFailed as exc:
            print(f"startup benchmark: {exc}", file=sys.stderr)
            return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"startup to login screen ({COLUMNS}x{ROWS}, {runs} runs, median / min)")
    for name, values in times.items():
        print(f"  {name:<16} {median[name]:.3f} s / {min(values):.3f} s")
    ratio = median["panel"] / median["bare Textual"]
    print(f"  {'ratio':<16} {ratio:.2f}×   (aim: at most {AIM:g}×)")
    from tests.bench.summary import record

    record("startup", "start to login screen", median["panel"], median["bare Textual"],
           unit="s", against="bare Textual app", aim=f"at most {AIM:g}×")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
