"""`panel recruit`: recruitment channels, each with its own sign-up link and QR code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .i18n import _
from .settings import Settings


def add_commands(commands: argparse._SubParsersAction) -> None:
    recruit = commands.add_parser(
        "recruit", help="recruitment channels: sign-up links and their QR codes"
    ).add_subparsers(metavar="ACTION", required=True)
    listing = recruit.add_parser("list", help="every channel, with its link and sign-ups")
    listing.set_defaults(handler=cmd_recruit_list)
    add = recruit.add_parser(
        "add",
        help="a new channel (a poster, an ad, a stand) and its link",
        description=(
            "Make a recruitment channel. Its sign-up link carries ?kilde=CODE, and residents "
            "who sign up through it have it as their source. Prints the link and its QR code."
        ),
    )
    add.add_argument("label", help='what staff call it, e.g. "Plakat Sandvika bibliotek"')
    add.add_argument("--code", default="", help="the code in the link (default: from the label)")
    add.add_argument("-o", "--output", type=Path, help="also write the QR code to this .svg/.png")
    add.set_defaults(handler=cmd_recruit_add)
    qr = recruit.add_parser("qr", help="a channel's QR code, in the terminal or to a file")
    qr.add_argument("code", help="the channel's code")
    qr.add_argument("-o", "--output", type=Path, help="write it to this .svg or .png file")
    qr.set_defaults(handler=cmd_recruit_qr)


def cmd_recruit_list(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.recruitment import channels, signup_url

    from .backend import open_backend
    from .labels import local_time

    backend = open_backend(settings)
    try:
        found = channels(backend.db, actor=Actor.operator())
    finally:
        backend.close()
    if not found:
        print(_("No recruitment channels yet: make one with `panel recruit add LABEL`."))
    for channel in found:
        print(
            _("{label}: {signed} signed up, {members} members; since {when}").format(
                label=channel.label,
                signed=channel.signed_up,
                members=channel.members,
                when=local_time(channel.created_at),
            )
        )
        print("  " + signup_url(settings.base_url, channel.code))
    return 0


def cmd_recruit_add(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.recruitment import create_channel

    from .backend import open_backend

    backend = open_backend(settings)
    try:
        channel = create_channel(backend.db, actor=Actor.operator(), label=args.label,
                                 code=args.code)  # fmt: skip
    finally:
        backend.close()
    return _show(settings, channel.code, args.output)


def cmd_recruit_qr(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.recruitment import channels

    from .backend import open_backend

    backend = open_backend(settings)
    try:
        known = {c.code for c in channels(backend.db, actor=Actor.operator())}
    finally:
        backend.close()
    if args.code not in known:
        print(
            "panel: "
            + _("no channel has the code {code!r}; see `panel recruit list`.").format(
                code=args.code
            ),
            file=sys.stderr,
        )
        return 1
    return _show(settings, args.code, args.output)


def _show(settings: Settings, code: str, output: Path | None) -> int:
    from store.recruitment import signup_url

    from .qr import qr_text, save_qr

    url = signup_url(settings.base_url, code)
    print(url)
    if output is None:
        print(qr_text(url))
        return 0
    try:
        path = save_qr(url, output.expanduser())
    except (ValueError, OSError) as problem:
        print("panel: " + str(problem), file=sys.stderr)
        return 1
    print(_("QR code written to {path}.").format(path=path))
    return 0
