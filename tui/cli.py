"""The `panel` command: the staff app by default, and subcommands for operators.

Heavy modules are imported inside the handlers, so that `panel` paints its login screen fast
and a bad setting is reported before anything slow happens.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .i18n import use_language
from .settings import Settings, SettingsError, load_settings


def build_parser() -> argparse.ArgumentParser:
    from . import (
        cli_admin,
        cli_demo,
        cli_event,
        cli_import,
        cli_key,
        cli_population,
        cli_recruit,
        cli_results,
        cli_send,
        cli_survey,
        cli_web,
        cli_worker,
    )

    parser = argparse.ArgumentParser(
        prog="panel", description="Innbyggerpanelet: the citizen panel, run from a terminal."
    )
    parser.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    parser.add_argument("--version", action="version", version=f"panel {version()}")
    parser.set_defaults(handler=run_app)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    cli_demo.add_commands(commands)
    cli_admin.add_commands(commands)
    cli_key.add_commands(commands)
    cli_import.add_commands(commands)
    cli_population.add_commands(commands)
    cli_survey.add_commands(commands)
    cli_worker.add_commands(commands)
    cli_send.add_commands(commands)
    cli_web.add_commands(commands)
    cli_recruit.add_commands(commands)
    cli_event.add_commands(commands)
    cli_results.add_commands(commands)
    return parser


def version() -> str:
    """The installed release, and the database schema it expects (what an upgrade changes)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    from store.schema import SCHEMA_HEAD

    try:
        release = installed("panel")
    except PackageNotFoundError:
        release = "unknown"
    return f"{release} (schema {SCHEMA_HEAD})"


def run_app(
    args: argparse.Namespace,
    settings: Settings,
    *,
    login_hint: str = "",
    mail_note: str = "",
    guide: dict[str, str] | None = None,
) -> int:
    from .app import create_app
    from .backend import precheck

    precheck(settings)
    app = create_app(settings, login_hint=login_hint, mail_note=mail_note, guide=guide)
    app.run(mouse=not args.no_mouse)
    if app.startup_error:
        raise SettingsError(app.startup_error)
    return app.return_code or 0


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # databases, keys, backups and exports hold personal data: owner only
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        use_language(settings.language)
        return args.handler(args, settings)
    except SettingsError as exc:
        print(f"panel: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except Exception as exc:
        from store.errors import PanelError

        from .faults import explain

        # A refusal says what it refused; a known fault (the database busy, read-only or full,
        # the disk full, the database server away) gets its sentence; anything else is a bug.
        reason = str(exc) if isinstance(exc, PanelError) else explain(exc)
        if reason is None:
            raise
        print(f"panel: {reason}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
