"""The README stays true: every setting and every command it should name, it names."""

from __future__ import annotations

from pathlib import Path

from tui.cli import build_parser
from tui.settings import ENV_PREFIX, Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table():
    missing = [
        f"{ENV_PREFIX}{name.upper()}"
        for name in Settings.model_fields
        if f"`{ENV_PREFIX}{name.upper()}`" not in README
    ]
    assert not missing


def test_every_subcommand_is_in_the_command_table():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "==SUPPRESS==" or a.choices)
    for name in commands.choices:
        assert f"`panel {name}" in README, name


def test_the_two_commands():
    assert "uv run panel demo" in README
    assert "uv run pytest" in README
    assert "uv run pytest" in (Path(__file__).parent.parent / ".ci" / "run").read_text()


def test_every_picture_the_readme_shows_is_there():
    import re

    root = Path(__file__).parent.parent
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert len(pictures) >= 7
    for picture in pictures:
        path = root / picture
        assert path.suffix == ".svg" and path.read_text(encoding="utf-8").lstrip().startswith(
            "<svg"
        ), picture
