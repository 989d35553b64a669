"""QR codes: in the terminal (half-block characters, for a phone to scan off the screen), and
as SVG or PNG files for posters and ads."""

from __future__ import annotations

import io
from pathlib import Path

FORMATS = (".svg", ".png")


def qr_text(data: str) -> str:
    import segno

    buffer = io.StringIO()
    segno.make(data, error="m").terminal(out=buffer, compact=True, border=2)
    return buffer.getvalue()


def save_qr(data: str, path: Path) -> Path:
    """Write `data` as a QR code to `path`, SVG or PNG by its ending; ValueError for others.
    Sized for print: 10 px a module in a PNG, a scalable drawing in an SVG."""
    import segno

    kind = path.suffix.lower()
    if kind not in FORMATS:
        raise ValueError(f"{path.name}: end the name with .svg or .png")
    path.parent.mkdir(parents=True, exist_ok=True)
    code = segno.make(data, error="m")
    if kind == ".svg":
        code.save(path, kind="svg", scale=10, border=4, title=data, svgclass=None, lineclass=None)
    else:
        code.save(path, kind="png", scale=10, border=4)
    return path
