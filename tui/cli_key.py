"""`panel key`: the server key's ring — what rests on which key, rotating, and retiring.

Rotating puts a new key first in the key file and keeps the old one behind it, so nothing that
the old key made stops working; retiring, later, moves what is left onto the current key and
drops the old ones from the file. See store/keyring.py.
"""

from __future__ import annotations

import argparse
import sys

from .i18n import _
from .settings import Settings, SettingsError


def add_commands(commands: argparse._SubParsersAction) -> None:
    key = commands.add_parser(
        "key", help="the server key: its state, rotating it, retiring old keys"
    ).add_subparsers(metavar="ACTION", required=True)
    key.add_parser(
        "status", help="the key ring, and what still rests on its previous keys"
    ).set_defaults(handler=cmd_key_status)
    key.add_parser(
        "rotate",
        help="a new server key takes over; the old one still checks what it made",
        description=(
            "Write a new server key at the head of the key file, keeping the old key behind it, "
            "and re-encrypt the staff's TOTP secrets under the new key. Links already emailed, "
            "recovery codes and open forms go on working. Restart the web and worker services "
            "afterwards, so that they read the new key."
        ),
    ).set_defaults(handler=cmd_key_rotate)
    retire = key.add_parser(
        "retire",
        help="drop the previous keys: what only they can check stops working",
        description=(
            "Move everything onto the current key and drop the previous keys from the key file. "
            "Personal links made under a previous key are made anew (reminders carry the new "
            "links; the old links in sent emails stop working), and recovery codes made before "
            "the rotation are deleted."
        ),
    )
    retire.add_argument("--yes", action="store_true", help="retire without asking first")
    retire.set_defaults(handler=cmd_key_retire)


def cmd_key_status(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.keyring import key_report

    from .backend import open_backend

    backend = open_backend(settings)
    try:
        report = key_report(backend.db, backend.key, actor=Actor.operator())
    finally:
        backend.close()
    print(_("Current key: {id}").format(id=report.current))
    if not report.previous:
        print(_("No previous keys: everything rests on the current key."))
        return 0
    print(_("Previous keys: {ids}").format(ids=", ".join(report.previous)))
    print_dependants(report)
    return 0


def print_dependants(report) -> None:
    """What rests on the previous keys: what retiring them changes."""
    from .labels import local_time

    if report.rotated_at is not None:
        print(_("Last rotated: {when}").format(when=local_time(report.rotated_at)))
    print(_("Resting on the previous keys:"))
    print("  " + _("{n} staff TOTP secrets").format(n=report.totp_secrets))
    print("  " + _("{n} unsent emails with personal links").format(n=report.unsent))
    for kind, label in (
        ("survey", _("survey links")),
        ("workshop", _("workshop invitation links")),
        ("volunteer", _("volunteer call links")),
    ):
        print(
            "  "
            + _("{n} {what} ({live} of them still open)").format(
                n=report.links[kind], what=label, live=report.live_links[kind]
            )
        )
    if report.recovery_staff:
        print(
            "  "
            + _("unused recovery codes of: {names}").format(names=", ".join(report.recovery_staff))
        )


def _key_file(settings: Settings):
    if settings.secret_key is not None:
        raise SettingsError(
            "PANEL_SECRET_KEY: the key is given in the environment, where `panel key` cannot "
            "write a new one. Put its value in a file readable by the service user only, point "
            "PANEL_SECRET_KEY_FILE at it instead, and run this again"
        )
    return settings.resolved_secret_key_file


def cmd_key_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.keyring import rotate

    from .backend import open_backend

    path = _key_file(settings)
    backend = open_backend(settings)
    try:
        old = backend.key
        new = old.rotated()
        try:
            new.replace_file(path)
        except OSError as exc:
            raise SettingsError(
                f"PANEL_SECRET_KEY_FILE: {path} cannot be written ({exc.strerror}); "
                "nothing was changed"
            ) from None
        print(
            _("The new key {new} is saved in {path}; the old key {old} is kept behind it.").format(
                new=new.key_id, path=path, old=old.key_id
            )
        )
        try:
            count = rotate(backend.db, new, actor=Actor.operator(), replaced=old)
        except Exception as exc:
            print(
                _(
                    "The database could not be changed ({reason}). Nothing is lost: the old key "
                    "still opens what it made, and `panel key retire` moves it onto the new key."
                ).format(reason=exc),
                file=sys.stderr,
            )
            return 1
    finally:
        backend.close()
    print(_("Re-encrypted {n} staff TOTP secrets under the new key.").format(n=count))
    print(
        _(
            "Next: restart the services so that they read the new key "
            "(systemctl restart panel-web panel-worker). Staff in the app now keep the old key "
            "until they quit it and start it again. When links sent under the old key no longer "
            "need to work, run `panel key retire`."
        )
    )
    return 0


def cmd_key_retire(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.keyring import key_report, retire

    from .backend import open_backend

    path = _key_file(settings)
    backend = open_backend(settings)
    try:
        key = backend.key
        if not key.previous:
            print(_("No previous keys to retire: everything rests on the current key."))
            return 0
        report = key_report(backend.db, key, actor=Actor.operator())
        print(
            _("Retiring {ids}; {current} stays.").format(
                ids=", ".join(report.previous), current=report.current
            )
        )
        print_dependants(report)
        if not args.yes:
            if not sys.stdin.isatty():
                print(_("Not retired: give --yes to retire without a question."), file=sys.stderr)
                return 1
            answer = input(_("Retire the previous keys? [y/N] ")).strip().lower()
            if answer not in ("y", "yes", "j", "ja"):
                print(_("Not retired."))
                return 1
        done = retire(backend.db, key, actor=Actor.operator())
        try:
            key.alone.replace_file(path)
        except OSError as exc:
            print(
                _(
                    "The database rests on the current key now, but {path} cannot be written "
                    "({reason}): remove every line after the first one by hand."
                ).format(path=path, reason=exc.strerror),
                file=sys.stderr,
            )
            return 1
    finally:
        backend.close()
    print(_("Retired {ids}.").format(ids=", ".join(done.retired)))
    made = sum(done.links.values())
    print(_("Made {n} personal links anew under the current key.").format(n=made))
    for name in done.recovery_staff:
        print(
            _(
                "{name}'s recovery codes were made under the old key and are deleted: "
                "panel staff recovery-codes {name}"
            ).format(name=name)
        )
    print(_("Restart the services so that they stop accepting the retired keys."))
    return 0
