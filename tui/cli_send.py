"""`panel send SURVEY` and `panel remind SURVEY`: invite a survey's recipients, remind the rest.

`send` shows who would be chosen — the count per stratum, who was left out and why, the seed —
then queues the invitations (with `--dry-run`, only shows). The dispatcher (`panel worker`)
sends what is queued.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .cli_import import say
from .i18n import _, ngettext
from .labels import label, thousands
from .settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from store.sampling import Plan


def add_commands(commands: argparse._SubParsersAction) -> None:
    send = commands.add_parser(
        "send",
        help="invite the active panel, or a sample of it, to a survey",
        description=(
            "Choose a survey's recipients and queue their invitations. Without filters, the "
            "whole active panel; filters narrow it; --sample draws N of them, at random or "
            "stratified by age band and gender. Anyone contacted within --rest-days days, and "
            "anyone already invited to this survey, is left out. The report comes first."
        ),
    )
    send.add_argument("survey", type=int, help="the survey's id")
    for name, help_text in (
        ("interest", "only people with this interest (repeatable)"),
        ("district", "only people living in this district (repeatable)"),
        ("age-band", "only this age band, e.g. 16–24 (repeatable)"),
        ("gender", "only female, male or other (repeatable)"),
        ("source", "only people recruited through this source (repeatable)"),
    ):
        send.add_argument(f"--{name}", action="append", default=[], help=help_text)
    send.add_argument("--sample", type=int, metavar="N", help="draw N people instead of all")
    send.add_argument(
        "--stratified",
        action="store_true",
        help="draw the sample stratified by age band × gender (default: simple random)",
    )
    send.add_argument(
        "--proportional-to",
        choices=["panel", "population"],
        default="panel",
        help="strata in proportion to the eligible panel (default) or to the population table",
    )
    send.add_argument(
        "--rest-days",
        type=int,
        default=30,
        metavar="D",
        help="leave out anyone contacted within the last D days (default 30; 0 turns it off)",
    )
    send.add_argument("--seed", type=int, help="repeat an earlier draw with its seed")
    send.add_argument("--dry-run", action="store_true", help="show the report only")
    send.set_defaults(handler=cmd_send)

    remind = commands.add_parser(
        "remind",
        help="remind those invited to a survey who have not answered",
        description=(
            "Queue a reminder to everyone invited to the survey who has not answered and has "
            "not had the survey's maximum number of reminders. With --due, only those whose "
            "invitation or last reminder is at least the survey's reminder interval old."
        ),
    )
    remind.add_argument("survey", type=int, help="the survey's id")
    remind.add_argument("--due", action="store_true", help="only the reminders that are due")
    remind.set_defaults(handler=cmd_remind)


def reason_text(reason: str, days: int) -> str:
    return {
        "already_invited": _("already invited to this survey"),
        "contacted_recently": _("contacted within the last {days} days").format(days=days),
        "not_enough": _("missing: fewer eligible people than the sample asks for"),
    }.get(reason, reason)


def plan_lines(plan: Plan, *, reason: Callable[[str, int], str] | None = None) -> list[str]:
    """The report staff read before confirming a send, line by line; `reason(name, rest_days)`
    words a reason for leaving people out (by default, as for a survey)."""
    reason = reason or reason_text
    s = plan.selection
    lines = [
        _("Matching the filter: {n} active participants with a deliverable address.").format(
            n=thousands(plan.matching)
        )
    ]
    for name, count in sorted(plan.left_out.items()):
        lines.append(
            _("Left out: {count} {reason}").format(
                count=thousands(count), reason=reason(name, s.rest_days)
            )
        )
    if s.method == "all":
        lines.append(_("Chosen: everyone else, {n}.").format(n=thousands(len(plan.chosen))))
    else:
        how = _("stratified by age band × gender") if s.method == "stratified" else _("at random")
        if s.method == "stratified":
            base = _("the population") if s.proportional_to == "population" else _("the panel")
            how += " " + _("in proportion to {base}").format(base=base)
        lines.append(
            _("Chosen: a sample of {n}, {how} (seed {seed}).").format(
                n=thousands(len(plan.chosen)), how=how, seed=plan.seed
            )
        )
    if plan.strata:
        lines.append(
            f"  {_('Age band'):<10}{_('Gender'):<10}{_('Eligible'):>10}{_('Target'):>10}"
            f"{_('Chosen'):>10}"
        )
        for stratum in plan.strata:
            band = _("unknown") if stratum.age_band == "unknown" else stratum.age_band
            gender = _("unknown") if stratum.gender == "unknown" else label(stratum.gender)
            lines.append(
                f"  {band:<10}{gender:<10}{stratum.available:>10}{stratum.target:>10.1f}"
                f"{stratum.chosen:>10}"
            )
    return lines


def cmd_send(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.sampling import Selection, plan_send
    from store.sending import Mailing, queue_invitations
    from store.surveys import get_survey

    from .backend import open_backend

    actor = Actor.operator()
    selection = Selection(
        interests=tuple(args.interest),
        districts=tuple(args.district),
        age_bands=tuple(args.age_band),
        genders=tuple(args.gender),
        sources=tuple(args.source),
        method=("stratified" if args.stratified else "simple") if args.sample else "all",
        size=args.sample,
        proportional_to=args.proportional_to,
        rest_days=args.rest_days,
        seed=args.seed,
    )
    backend = open_backend(settings)
    try:
        survey = get_survey(backend.db, actor=actor, survey_id=args.survey)
        plan = plan_send(backend.db, actor=actor, survey_id=args.survey, selection=selection)
        say(_("Survey {id}: “{title}” ({status}).").format(
            id=survey.id, title=survey.spec.title, status=label(survey.status)
        ))  # fmt: skip
        for line in plan_lines(plan):
            say(line)
        if args.dry_run:
            say(_("Dry run: nothing was written."))
            return 0
        if not plan.chosen:
            say(_("Nobody to invite."))
            return 0
        letters = survey_letters_for("invitation", survey, settings)
        queued = queue_invitations(
            backend.db,
            backend.key,
            actor=actor,
            plan=plan,
            letters=letters,
            mailing=Mailing(mail_from=settings.mail_from, base_url=settings.base_url),
        )
    finally:
        backend.close()
    say(
        ngettext(
            "Queued {n} invitation (send batch {batch}); `panel worker` sends it.",
            "Queued {n} invitations (send batch {batch}); `panel worker` sends them.",
            queued.queued,
        ).format(n=thousands(queued.queued), batch=queued.batch_id)
    )
    return 0


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor

    from .backend import open_backend

    backend = open_backend(settings)
    try:
        queued = remind_survey(
            backend, settings, actor=Actor.operator(), survey_id=args.survey, due_only=args.due
        )
    finally:
        backend.close()
    say(
        ngettext("Queued {n} reminder.", "Queued {n} reminders.", queued.queued).format(
            n=thousands(queued.queued)
        )
    )
    return 0


def remind_survey(backend, settings: Settings, *, actor, survey_id: int, due_only: bool = False):
    """Queue the survey's reminders (`due_only`: those its schedule says are due), written from
    the settings' sender and address; the store's `Queued`."""
    from store.sending import Mailing, queue_reminders
    from store.surveys import get_survey

    survey = get_survey(backend.db, actor=actor, survey_id=survey_id)
    return queue_reminders(
        backend.db,
        actor=actor,
        survey_id=survey_id,
        letters=survey_letters_for("reminder", survey, settings),
        mailing=Mailing(mail_from=settings.mail_from, base_url=settings.base_url),
        due_only=due_only,
    )


def survey_letters_for(kind: str, survey, settings: Settings):
    """The survey's invitation or reminder, in each language, from the settings' sender."""
    from mail.compose import survey_letters

    spec = survey.spec
    return survey_letters(
        kind,
        title=spec.title,
        intro=spec.intro,
        anonymous=spec.anonymous,
        closes_on=spec.closes_on,
        mail_from=settings.mail_from,
    )
