"""Operator subcommands: init, staff, db and backup."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .i18n import _
from .settings import Settings, SettingsError

if TYPE_CHECKING:
    from .backend import Backend


def add_commands(commands: argparse._SubParsersAction) -> None:
    init = commands.add_parser(
        "init", help="create or upgrade the database, the server key and the first admin"
    )
    init.add_argument("--admin", metavar="USERNAME", help="the first admin's username")
    init.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    init.set_defaults(handler=cmd_init)

    staff = commands.add_parser("staff", help="manage staff accounts").add_subparsers(
        metavar="ACTION", required=True
    )
    add = staff.add_parser("add", help="add a staff member and print their TOTP enrolment")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["admin", "editor", "analyst"])
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(handler=cmd_staff_add)
    staff.add_parser("list", help="list staff accounts").set_defaults(handler=cmd_staff_list)
    for name, helptext, handler in (
        ("disable", "stop a staff member from logging in", "disable"),
        ("enable", "let a disabled or locked-out staff member log in again", "enable"),
        ("reset-totp", "give a staff member a new TOTP secret and recovery codes", "reset"),
        ("recovery-codes", "give a staff member new recovery codes, keeping their TOTP", "codes"),
        ("password", "set a staff member's password", "password"),
    ):
        sub = staff.add_parser(name, help=helptext)
        sub.add_argument("username")
        if name == "password":
            sub.add_argument("--password-stdin", action="store_true")
        sub.set_defaults(handler=cmd_staff_change, change=handler)

    db = commands.add_parser("db", help="database schema").add_subparsers(
        metavar="ACTION", required=True
    )
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=cmd_db_upgrade)

    backup = commands.add_parser("backup", help="a consistent copy of the live database")
    backup.add_argument("path", type=Path)
    backup.set_defaults(handler=cmd_backup)


@contextmanager
def _backend(settings: Settings) -> Iterator[Backend]:
    from .backend import open_backend

    backend = open_backend(settings)
    try:
        yield backend
    finally:
        backend.close()


def read_password(args: argparse.Namespace) -> str:
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():
        raise SettingsError("--password-stdin: standard input is not a terminal; give this flag")
    first = getpass.getpass(_("Password (at least 12 characters): "))
    if getpass.getpass(_("Repeat the password: ")) != first:
        raise SettingsError("password: the two passwords differ")
    return first


def print_enrolment(enrolment) -> None:
    from .qr import qr_text

    print(qr_text(enrolment.uri))
    print(_("Scan the QR code with an authenticator app, or enter the secret by hand."))
    print(_("Username:       {value}").format(value=enrolment.username))
    print(_("TOTP secret:    {value}").format(value=enrolment.secret))
    print(_("otpauth URI:    {value}").format(value=enrolment.uri))
    print(_("Recovery codes (each works once, in place of a code; keep them safe):"))
    for code in enrolment.recovery_codes:
        print(f"  {code}")


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.db import Database
    from store.migrate import upgrade
    from store.models import Role
    from store.secrets import ServerKey
    from store.staff import count_admins, create_staff

    from .backend import load_key

    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if settings.secret_key is None:
        path = settings.resolved_secret_key_file
        _key, created = ServerKey.load_or_create(path)
        print(
            (
                _("Created the server key {path} (mode 600).")
                if created
                else _("Using the server key {path}.")
            ).format(path=path)
        )
    key = load_key(settings)
    db = Database(settings.resolved_database_url)
    try:
        upgrade(db)
        print(_("The database is ready: {url}").format(url=db.url.render_as_string()))
        if count_admins(db) > 0:
            print(_("An admin exists already; add more staff with `panel staff add`."))
            return 0
        username = args.admin or input(_("Username for the first admin: ")).strip()
        password = read_password(args)
        enrolment = create_staff(
            db, key, actor=Actor.operator(), username=username, role=Role.admin, password=password
        )
        print_enrolment(enrolment)
        return 0
    finally:
        db.dispose()


def cmd_staff_add(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.staff import create_staff, parse_role

    with _backend(settings) as backend:
        password = read_password(args)
        enrolment = create_staff(
            backend.db,
            backend.key,
            actor=Actor.operator(),
            username=args.username,
            role=parse_role(args.role),
            password=password,
        )
    print_enrolment(enrolment)
    return 0


def cmd_staff_list(args: argparse.Namespace, settings: Settings) -> int:
    from store.actors import Actor
    from store.staff import list_staff

    from .labels import local_time

    with _backend(settings) as backend:
        rows = list_staff(backend.db, actor=Actor.operator())
    print(f"{'USERNAME':<24} {'ROLE':<8} {'STATE':<10} LAST LOGIN")
    for s in rows:
        state = "disabled" if s.disabled else ("locked" if s.locked_until else "active")
        print(f"{s.username:<24} {s.role.value:<8} {state:<10} {local_time(s.last_login_at)}")
    return 0


def cmd_staff_change(args: argparse.Namespace, settings: Settings) -> int:
    from store import staff
    from store.actors import Actor

    actor = Actor.operator()
    with _backend(settings) as backend:
        if args.change == "disable":
            staff.disable_staff(backend.db, actor=actor, username=args.username)
            print(_("{user} is disabled.").format(user=args.username))
        elif args.change == "enable":
            staff.enable_staff(backend.db, actor=actor, username=args.username)
            print(_("{user} can log in.").format(user=args.username))
        elif args.change == "reset":
            print_enrolment(
                staff.reset_totp(backend.db, backend.key, actor=actor, username=args.username)
            )
        elif args.change == "codes":
            codes = staff.replace_recovery_codes(
                backend.db, backend.key, actor=actor, username=args.username
            )
            print(
                _("New recovery codes for {user}; the old ones no longer work:").format(
                    user=args.username
                )
            )
            for code in codes:
                print(f"  {code}")
        else:
            password = read_password(args)
            staff.set_password(backend.db, actor=actor, username=args.username, password=password)
            print(_("Password set for {user}.").format(user=args.username))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from store.db import Database
    from store.migrate import current_revision, upgrade

    db = Database(settings.resolved_database_url)
    try:
        before = current_revision(db)
        upgrade(db)
        after = current_revision(db)
    finally:
        db.dispose()
    print(_("Schema revision {before} → {after}.").format(before=before or "–", after=after))
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from store.backup import backup
    from store.db import Database

    db = Database(settings.resolved_database_url)
    try:
        size = backup(db, args.path)
    finally:
        db.dispose()
    print(_("Backed up to {path} ({size} bytes).").format(path=args.path, size=size))
    return 0
