"""Text snapshots of screens: what a terminal shows, as characters, kept in tests/tui/snapshots.

A snapshot is the screen rendered as plain text (styles dropped), so a change in wording,
layout or content shows up as a readable diff. To accept a deliberate change, run the tests
with SNAPSHOT_UPDATE=1 and read the diff of the snapshot files before committing.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from rich.console import Console

SNAPSHOTS = Path(__file__).parent / "snapshots"


def screen_text(app) -> str:
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    lines = console.export_text(styles=False).splitlines()
    return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"


def assert_snapshot(app, name: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    text = screen_text(app)
    if os.environ.get("SNAPSHOT_UPDATE") == "1":
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path.name}: run with SNAPSHOT_UPDATE=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"the screen differs from {path.name}:\n{text}"
