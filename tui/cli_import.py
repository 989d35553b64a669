"""`panel import FILE`: participants from a CSV or XLSX file, reported on before anything is
written. Also the report's wording, which the import dialog shares."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .i18n import _, ngettext
from .settings import Settings

if TYPE_CHECKING:
    from store.actors import Actor
    from store.importing import BadRow, ImportPlan, ImportResult

    from .backend import Backend

PROGRESS_FROM_ROWS = 1000  # smaller files are done before a bar would be read
BAR_WIDTH = 30


def add_commands(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "import",
        help="import participants from a CSV or XLSX file (a report first)",
        description=(
            "Import participants from a CSV or XLSX file. The report lists what would be "
            "added, updated or skipped, and each bad row with its line; the good rows are "
            "imported unless --dry-run is given."
        ),
    )
    command.add_argument("file", type=Path, help="the CSV or XLSX file")
    command.add_argument(
        "--dry-run", action="store_true", help="show the report only; write nothing"
    )
    command.add_argument(
        "--on-duplicate",
        choices=["skip", "update"],
        default="skip",
        help="for addresses already on the panel: skip them (the default) or update their "
        "fields from the file (their status is kept)",
    )
    command.set_defaults(handler=cmd_import)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor

    from .backend import open_backend

    actor = Actor.operator()
    backend = open_backend(settings)
    try:
        return _import(args, backend, actor)
    finally:
        backend.close()


def _import(args: argparse.Namespace, backend: Backend, actor: Actor) -> int:
    from store.importing import apply_import, plan_import

    with TextProgress(_("Checking")) as progress:
        plan = plan_import(
            backend.db,
            actor=actor,
            path=args.file,
            on_duplicate=args.on_duplicate,
            progress=progress,
        )
    for line in plan_lines(plan):
        say(line)
    if plan.bad:
        say(_("Bad rows, not imported:"))
        for problem in plan.bad:
            say("  " + bad_row_text(problem))
    if args.dry_run:
        say(_("Dry run: nothing was written."))
        return 0
    if not plan.anything_to_import:
        say(_("Nothing to import."))
        return 0
    with TextProgress(_("Importing")) as progress:
        result = apply_import(backend.db, actor=actor, plan=plan, progress=progress)
    say(result_text(result))
    return 0


def say(text: str) -> None:
    """Print a line of the report; if a pager such as `head` stops reading, carry on silently."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class TextProgress:
    """A progress bar on stderr: redrawn in place on a terminal, else a line per 10%."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.shown = -1  # percent on a terminal, tenths otherwise

    def __enter__(self) -> TextProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.tty and self.shown >= 0:
            self.stream.write("\n")
            self.stream.flush()

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM_ROWS:
            return
        fraction = min(done / total, 1.0)
        if self.tty:
            percent = int(fraction * 100)
            if percent != self.shown:
                self.shown = percent
                filled = int(fraction * BAR_WIDTH)
                bar = "#" * filled + "-" * (BAR_WIDTH - filled)
                self.stream.write(f"\r{self.label} [{bar}] {percent:3d}%")
                self.stream.flush()
            return
        tenths = int(fraction * 10)
        while self.shown < tenths:
            self.shown += 1
            if self.shown > 0:
                print(f"{self.label}: {self.shown * 10}%", file=self.stream, flush=True)


def plan_lines(plan: ImportPlan, *, compact: bool = False) -> list[str]:
    """What the file is and what importing it would do, without the bad rows.

    `compact` puts the counts on one line, for the dialog.
    """
    if plan.kind == "xlsx":
        lines = [
            _("{file}: an Excel workbook, read from its first sheet.").format(file=plan.file_name)
        ]
    else:
        separators = {";": _("semicolons"), ",": _("commas"), "\t": _("tabs")}
        lines = [
            _("{file}: read as {encoding}, cells separated by {separator}.").format(
                file=plan.file_name,
                encoding=plan.encoding,
                separator=separators.get(plan.delimiter or ",", plan.delimiter),
            )
        ]
    for warning in plan.warnings:
        lines.append(_("Warning: {warning}").format(warning=warning))
    if plan.rows_total == 0:
        lines.append(_("Nothing to import: the file has a header and no rows."))
        return lines
    lines.append(
        ngettext("{count} row in the file:", "{count} rows in the file:", plan.rows_total).format(
            count=plan.rows_total
        )
    )
    counts = plan_counts(plan)
    if compact:
        lines.append(" · ".join(f"{label}: {count}" for label, count in counts))
        return lines
    width = max(len(label) for label, _count in counts)
    lines += [f"  {label + ':':<{width + 1}} {count:>7}" for label, count in counts]
    return lines


def plan_counts(plan: ImportPlan) -> list[tuple[str, int]]:
    """What would happen to the file's rows, as (label, count)."""
    counts = [(_("to add"), plan.to_add)]
    if plan.on_duplicate == "update":
        counts += [
            (_("to update"), plan.to_update),
            (_("already on the panel, unchanged"), plan.unchanged),
        ]
    else:
        counts.append((_("already on the panel, skipped"), plan.to_skip))
    counts.append((_("bad, not imported"), plan.bad_rows))
    return counts


def bad_row_text(problem: BadRow) -> str:
    return _("line {line}: {field}: {reason}").format(
        line=problem.line, field=problem.field, reason=problem.reason
    )


def result_text(result: ImportResult) -> str:
    return _(
        "Imported {file}: {added} added, {updated} updated, {skipped} skipped, "
        "{unchanged} unchanged, {bad} bad rows left out."
    ).format(
        file=result.file_name,
        added=result.added,
        updated=result.updated,
        skipped=result.skipped,
        unchanged=result.unchanged,
        bad=result.bad_rows,
    )
