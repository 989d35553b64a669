"""`panel recruit`: a channel's sign-up link and QR code, on the terminal and as files."""

from __future__ import annotations

from .helpers import panel
from .test_survey_commands import init


def test_add_list_and_qr(tmp_path):
    env = {**init(tmp_path), "PANEL_BASE_URL": "https://panel.example"}
    made = panel("recruit", "add", "Plakat på Høvik", env=env)
    assert made.returncode == 0, made.stderr
    url = "https://panel.example/bli-med?kilde=plakat-pa-hovik"
    assert made.stdout.splitlines()[0] == url
    assert "▀" in made.stdout  # the QR code, drawn in half blocks
    again = panel("recruit", "add", "Plakat", "--code", "plakat-pa-hovik", env=env)
    assert again.returncode == 1 and "taken" in again.stderr
    svg = tmp_path / "out" / "plakat.svg"
    saved = panel("recruit", "qr", "plakat-pa-hovik", "-o", str(svg), env=env)
    assert saved.returncode == 0 and svg.read_text().lstrip().startswith("<?xml")
    png = tmp_path / "plakat.png"
    assert panel("recruit", "qr", "plakat-pa-hovik", "-o", str(png), env=env).returncode == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    wrong = panel("recruit", "qr", "plakat-pa-hovik", "-o", str(tmp_path / "x.gif"), env=env)
    assert wrong.returncode == 1 and ".svg or .png" in wrong.stderr
    unknown = panel("recruit", "qr", "nope", env=env)
    assert unknown.returncode == 1 and "nope" in unknown.stderr
    listed = panel("recruit", "list", env=env)
    assert "Plakat på Høvik: 0 signed up, 0 members" in listed.stdout and url in listed.stdout
