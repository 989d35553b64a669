"""`panel population import FILE`: the reference population the panel is compared with."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .i18n import _, ngettext
from .labels import thousands
from .settings import Settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    population = commands.add_parser(
        "population", help="the reference population the panel is compared with"
    ).add_subparsers(metavar="ACTION", required=True)
    command = population.add_parser(
        "import",
        help="replace the population figures with those of a CSV file",
        description=(
            "Replace the population figures with those of a CSV file with the columns "
            "district,gender,age_band,count (or bosted,kjønn,aldersgruppe,antall), comma- or "
            "semicolon-separated, UTF-8; lines starting with # are comments. Nothing is "
            "written if any row is bad."
        ),
    )
    command.add_argument("file", type=Path, help="the CSV file")
    command.add_argument(
        "--source", help="where the figures come from, kept with them (default: the file's name)"
    )
    command.set_defaults(handler=cmd_population_import)


def cmd_population_import(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.population import import_population

    from .backend import open_backend
    from .cli_import import bad_row_text

    backend = open_backend(settings)
    try:
        result = import_population(
            backend.db, actor=Actor.operator(), path=args.file, source_note=args.source
        )
    finally:
        backend.close()
    if result.bad:
        lines = len({problem.line for problem in result.bad})
        print(
            "panel: "
            + ngettext(
                "{file} has {count} bad row; nothing was imported:",
                "{file} has {count} bad rows; nothing was imported:",
                lines,
            ).format(file=result.file_name, count=lines),
            file=sys.stderr,
        )
        for problem in result.bad:
            print("  " + bad_row_text(problem), file=sys.stderr)
        return 1
    print(
        _(
            "Imported the population from {file}: {cells} cells, {total} residents in all "
            "(replacing {replaced} cells)."
        ).format(
            cells=result.cells,
            total=thousands(result.total),
            file=result.file_name,
            replaced=result.replaced,
        )
    )
    return 0
