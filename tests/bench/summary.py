"""Each benchmark's headline figures, for `all.py` to print as one table.

A benchmark prints its own full table as always, and also calls `record` for each figure it
compares with a baseline. When `PANEL_BENCH_SUMMARY` names a file (as `all.py` sets it), the
figures are appended there as JSON lines; otherwise `record` does nothing.
"""

from __future__ import annotations

import json
import os


def record(
    benchmark: str,
    figure: str,
    ours: float,
    baseline: float,
    *,
    unit: str,
    against: str,
    ratio: float | None = None,
    aim: str = "",
) -> None:
    """One figure: ours beside the baseline (`against` says what it is), and their ratio
    (ours / baseline unless given: for rates, where higher is better, give it)."""
    path = os.environ.get("PANEL_BENCH_SUMMARY")
    if not path:
        return
    row = {
        "benchmark": benchmark,
        "figure": figure,
        "ours": ours,
        "baseline": baseline,
        "unit": unit,
        "against": against,
        "ratio": ratio if ratio is not None else (ours / baseline if baseline else None),
        "aim": aim,
    }
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(row, ensure_ascii=False) + "\n")
