"""`panel event`: workshops at the server's shell — the list, and one event with its sessions,
answers and draws (each draw repeated from its record, to show it comes out the same)."""

from __future__ import annotations

import argparse

from .i18n import _
from .settings import Settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    event = commands.add_parser(
        "event", help="workshops: their sessions, volunteers, draws and answers"
    ).add_subparsers(metavar="ACTION", required=True)
    listing = event.add_parser("list", help="every event, newest first, with its numbers")
    listing.set_defaults(handler=cmd_event_list)
    show = event.add_parser(
        "show",
        help="one event: sessions and places, answers, and its draws",
        description=(
            "Show an event's sessions with their places taken and waiting lists, how many "
            "volunteered and answered, and each draw: its method, seed and pool, repeated from "
            "its record to show that it gives the same people."
        ),
    )
    show.add_argument("event", type=int, help="the event's id (see `panel event list`)")
    show.set_defaults(handler=cmd_event_show)


def cmd_event_list(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.events import list_events

    from .backend import open_backend
    from .labels import local_time

    backend = open_backend(settings)
    try:
        events = list_events(backend.db, actor=Actor.operator())
    finally:
        backend.close()
    if not events:
        print(_("No events yet: make one in the app's Workshops section."))
    for event in events:
        first = local_time(event.first_start) if event.first_start else _("no sessions")
        print(
            _(
                "{id}  {title} ({status}): {sessions} sessions from {first}; {volunteers} "
                "volunteered, {invited} invited, {accepted} with a place"
            ).format(
                id=event.id,
                title=event.title,
                status=_(event.status),
                sessions=event.sessions,
                first=first,
                volunteers=event.volunteers,
                invited=event.invited,
                accepted=event.accepted,
            )
        )
    return 0


def cmd_event_show(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.event_draw import repeat_draw
    from store.events import event_view

    from .backend import open_backend
    from .labels import draw_explanation, local_time

    actor = Actor.operator()
    backend = open_backend(settings)
    try:
        view = event_view(backend.db, actor=actor, event_id=args.event)
        repeats = {d.id: repeat_draw(backend.db, actor=actor, draw_id=d.id)[0] for d in view.draws}
    finally:
        backend.close()
    print(f"{view.title} ({_(view.status)})")
    if view.location:
        print(view.location)
    print()
    print(_("Sessions:"))
    for s in view.sessions:
        print(
            "  "
            + _(
                "{label} {start}–{end}: {accepted} of {capacity} places taken, {waiting} waiting, "
                "{attended} came"
            ).format(
                label=s.label or "–",
                start=local_time(s.starts_at),
                end=local_time(s.ends_at)[-5:],
                accepted=s.accepted,
                capacity=s.capacity,
                waiting=s.waitlisted,
                attended=s.attended,
            )
        )
    print()
    print(
        _("Asked to volunteer: {asked}; volunteered: {volunteers}").format(
            asked=view.asked, volunteers=view.volunteers
        )
    )
    print(
        _(
            "Invited: {invited}; with a place {accepted}, waiting {waiting}, declined {declined}, "
            "not answered {open}"
        ).format(
            invited=len(view.invites),
            accepted=view.count("accepted"),
            waiting=view.count("waitlisted"),
            declined=view.count("declined"),
            open=view.count("invited"),
        )
    )
    for draw in view.draws:
        print()
        print(
            _("Draw {id} on {when} by {who}: {explanation}").format(
                id=draw.id,
                when=local_time(draw.created_at),
                who=draw.created_by or "–",
                explanation=draw_explanation(
                    method=draw.method,
                    strata=draw.strata,
                    favour=draw.favour,
                    chosen=draw.chosen,
                    pool=draw.pool,
                    seed=draw.seed,
                ),
            )
        )
        print(
            "  "
            + (
                _("Repeated from its record: the same people.")
                if repeats[draw.id]
                else _("Repeated from its record: NOT the same people.")
            )
        )
    return 0 if all(repeats.values()) else 1
