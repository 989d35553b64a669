"""Every benchmark, one after another, then one table of our figures beside their baselines.

    uv run python tests/bench/all.py [--quick] [--only NAME ...]

Each benchmark runs as its own process (as when run alone) and prints its full table as it
finishes; at the end comes the summary: each headline figure, ours and the baseline measured
in the same run, their ratio, and the aim. `--quick` runs smaller sizes and fewer runs, to see
that everything works rather than to measure. The script reports; it asserts nothing. Run it
on a quiet machine: the benchmarks share its cores with whatever else runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# name → (arguments for a full run, arguments for a quick one)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "startup": ([], ["--quick"]),
    "roster": ([], ["--size", "20000", "--runs", "1"]),
    "sending": ([], ["--size", "10000"]),
    "dispatch": ([], ["--messages", "500", "--runs", "1"]),
    "results": ([], ["--responses", "10000", "--runs", "2"]),
    "web": ([], ["--residents", "10", "--submissions", "100"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)})")  # fmt: skip
    args = parser.parse_args()
    chosen = args.only or list(BENCHMARKS)
    failed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.jsonl"
        env = {**os.environ, "PANEL_BENCH_SUMMARY": str(summary)}
        for name in chosen:
            full, quick = BENCHMARKS[name]
            argv = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)]
            print(f"\n== {name} ==", flush=True)
            started = time.perf_counter()
            done = subprocess.run(argv, env=env, cwd=ROOT, check=False)
            took = time.perf_counter() - started
            print(f"({name}: {took:.0f} s{'' if done.returncode == 0 else ', FAILED'})", flush=True)
            if done.returncode != 0:
                failed.append(name)
        rows = [json.loads(line) for line in summary.read_text().splitlines()] if (
            summary.exists()
        ) else []  # fmt: skip
    print()
    print(table(rows, quick=args.quick))
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def table(rows: list[dict], *, quick: bool) -> str:
    """The summary: one line per figure."""
    head = ("benchmark", "figure", "ours", "baseline", "against", "ratio", "aim")
    lines = [[*head]]
    for row in rows:
        unit = row["unit"]
        ratio = row["ratio"]
        lines.append(
            [
                row["benchmark"],
                row["figure"],
                f"{_number(row['ours'])} {unit}",
                f"{_number(row['baseline'])} {unit}",
                row["against"],
                f"{ratio:.2f}×" if ratio is not None else "–",
                row["aim"],
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    right = {2, 3, 5}  # numbers line up on the right
    out = ["all benchmarks" + (" (quick: sizes too small to judge by)" if quick else "")]
    for n, line in enumerate(lines):
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(line, widths, strict=True))]  # fmt: skip
        out.append("  " + "  ".join(cells).rstrip())
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    out.append("  ratio: ours / baseline (for rates, ours / baseline too: above 1 is faster)")
    return "\n".join(out)


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"


if __name__ == "__main__":
    sys.exit(main())
