"""`panel results SURVEY`: a survey's results as a Markdown report, CSV or XLSX."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .i18n import _
from .settings import Settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    results = commands.add_parser(
        "results",
        help="a survey's results as a report (md), CSV or XLSX",
        description=(
            "Write a survey's results. md: a report to publish, every figure protected (counts "
            "from fewer than K people hidden). csv: one row per response, with a codebook "
            "beside the file. xlsx: a summary sheet, and the responses with their codebook."
        ),
    )
    results.add_argument("survey", type=int, help="the survey's id")
    results.add_argument("--format", choices=("md", "csv", "xlsx"), default="md")
    results.add_argument("-o", "--output", type=Path, help="the file (default: standard output)")
    results.add_argument(
        "--k",
        type=int,
        help="hide counts from fewer than K people (at least 3; default: PANEL_RESULTS_MIN_GROUP)",
    )
    results.add_argument("--language", choices=("nb", "en"), help="the report's language")
    results.set_defaults(handler=cmd_results)


def cmd_results(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.results_export import codebook_path, export_results

    from .backend import open_backend

    if args.format == "xlsx" and args.output is None:
        print("panel: " + _("an XLSX file needs a name: add -o FILE"), file=sys.stderr)
        return 2
    backend = open_backend(settings)
    try:
        text = export_results(
            backend.db,
            actor=Actor.operator(),
            survey_id=args.survey,
            fmt=args.format,
            path=args.output.expanduser() if args.output else None,
            k=args.k or settings.results_min_group,
            language=args.language or settings.language,
        )
    finally:
        backend.close()
    if text is not None:
        sys.stdout.write(text)
    elif args.format == "csv":
        print(_("Written to {path} and {codebook}.").format(
            path=args.output, codebook=codebook_path(args.output)))  # fmt: skip
    else:
        print(_("Written to {path}.").format(path=args.output))
    return 0
