"""Running the real `panel` console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PANEL = str(Path(sys.executable).parent / "panel")


def panel(*args: str, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 60):
    """Run `panel ARGS` in English with the test's environment plus `env`."""
    return subprocess.run(
        [PANEL, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "PANEL_LANGUAGE": "en", **(env or {})},
        timeout=timeout,
        check=False,
    )
