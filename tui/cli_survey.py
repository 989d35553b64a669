"""`panel survey import FILE` and `panel survey export ID`: surveys as YAML files.

A file with problems is refused whole, one `panel: FILE:LINE: ...` line per problem, so that an
editor can jump to each; the survey file format is described in `store.survey_files`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .i18n import _, ngettext
from .settings import Settings

if TYPE_CHECKING:
    from store.survey_files import SurveyFileError

BAD_INPUT = 2


def add_commands(commands: argparse._SubParsersAction) -> None:
    survey = commands.add_parser(
        "survey", help="surveys as YAML files: import one, export one"
    ).add_subparsers(metavar="ACTION", required=True)
    command = survey.add_parser(
        "import",
        help="create a draft survey from a YAML file; prints its id",
        description=(
            "Create a draft survey from a YAML file (UTF-8) with title, intro, thanks, "
            "anonymous, opens, closes and questions. Prints the new survey's id. A file with "
            "problems is refused whole, with every problem and its line."
        ),
    )
    command.add_argument("file", type=Path, help="the YAML file")
    command.set_defaults(handler=cmd_survey_import)
    command = survey.add_parser(
        "export",
        help="write a survey as YAML, to stdout or a file",
        description=(
            "Write a survey's text and questions as YAML, in the form `panel survey import` "
            "reads; to stdout, or with -o to a file only you can read."
        ),
    )
    command.add_argument("survey_id", type=int, metavar="ID", help="the survey's id")
    command.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )
    command.set_defaults(handler=cmd_survey_export)


def cmd_survey_import(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.survey_files import SurveyFileError, read_survey_file
    from store.surveys import create_survey

    from .backend import open_backend

    try:
        spec = read_survey_file(args.file)
    except SurveyFileError as exc:
        report_problems(str(args.file), exc)
        return BAD_INPUT
    backend = open_backend(settings)
    try:
        survey_id = create_survey(backend.db, actor=Actor.operator(), spec=spec)
    finally:
        backend.close()
    print(survey_id, flush=True)
    count = len(spec.questions)
    print(
        ngettext(
            "Imported “{title}” as survey {id}: {count} question, a draft.",
            "Imported “{title}” as survey {id}: {count} questions, a draft.",
            count,
        ).format(title=spec.title.strip(), id=survey_id, count=count),
        file=sys.stderr,
    )
    return 0


def report_problems(file: str, exc: SurveyFileError) -> None:
    """Each problem as `panel: FILE:LINE: ...` (or `panel: FILE: ...`), then how many."""
    for problem in exc.details:
        place = f"{file}:{problem.line}" if problem.line else file
        print(f"panel: {place}: {problem.text}", file=sys.stderr)
    count = len(exc.details)
    print(
        "panel: "
        + ngettext(
            "{file}: {count} problem; nothing was imported.",
            "{file}: {count} problems; nothing was imported.",
            count,
        ).format(file=file, count=count),
        file=sys.stderr,
    )


def cmd_survey_export(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.errors import NotFound
    from store.survey_files import dump_survey_yaml, write_private
    from store.surveys import get_survey

    from .backend import open_backend

    backend = open_backend(settings)
    try:
        detail = get_survey(backend.db, actor=Actor.operator(), survey_id=args.survey_id)
    except NotFound:
        print("panel: " + _("no survey has the id {id}").format(id=args.survey_id), file=sys.stderr)
        return BAD_INPUT
    finally:
        backend.close()
    text = dump_survey_yaml(detail.spec)
    if args.output is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    try:
        write_private(args.output, text)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(
            "panel: " + _("cannot write {file}: {reason}").format(file=args.output, reason=reason),
            file=sys.stderr,
        )
        return BAD_INPUT
    print(
        _("Wrote survey {id} to {file}.").format(id=args.survey_id, file=args.output),
        file=sys.stderr,
    )
    return 0
