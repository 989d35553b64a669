"""`panel demo`: the whole product on one machine, with its own data dir and sample data."""

from __future__ import annotations

import argparse
import shutil
import sys

from .i18n import _
from .settings import Settings

LOGIN_FILE = "demo-login.txt"


def add_commands(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="run the whole product with sample data")
    demo.add_argument("--reset", action="store_true", help="throw the demo data away and rebuild")
    demo.add_argument("--code", action="store_true", help="print the demo user's current code")
    demo.add_argument(
        "--no-app", action="store_true", help="prepare the demo, do not start the app"
    )
    demo.set_defaults(handler=cmd_demo)


def demo_settings(settings: Settings) -> Settings:
    """The same settings, pointed at the demo's own database and key."""
    return settings.model_copy(
        update={
            "data_dir": settings.demo_dir,
            "database_url": f"sqlite:///{settings.demo_dir / 'panel.db'}",
            "secret_key_file": settings.demo_dir / "server.key",
            "secret_key": None,
        }
    )


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    settings = demo_settings(settings)
    if args.reset and settings.demo_dir.exists():
        shutil.rmtree(settings.demo_dir)
    login_file = settings.demo_dir / LOGIN_FILE
    site = None
    if not (args.code or args.no_app):
        from .cli_web import SiteThread

        # The residents' pages run beside the app, so the links in the demo's email open; their
        # address is known before the demo is built, which queues email with links to them.
        site = SiteThread(settings, settings.web_host, settings.web_port)
    if not login_file.exists():
        print(_("Building the demo in {path} …").format(path=settings.demo_dir))
        _build(settings, base_url=site.url if site else settings.base_url)
    username, password = login_file.read_text(encoding="utf-8").split("\n")[:2]
    secret = _secret(settings, username)
    if args.code:
        import pyotp

        print(pyotp.TOTP(secret).now())
        return 0
    _print_login(settings, username, password, secret)
    if site is None:
        return 0
    from mail.catcher import MaildirCatcher

    from .cli import run_app

    # The demo's email goes to a server of its own that keeps it in a Maildir; the app sends.
    maildir = settings.demo_dir / "mail"
    catcher = MaildirCatcher(maildir).start()
    settings = settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": catcher.port,
            "smtp_tls": "none",
            "smtp_username": "",
            "dispatch_in_app": True,
            "base_url": site.url,
        }
    )
    hint = _(
        "Demo: log in as {user}, password {password}; `uv run panel demo --code` prints the code."
    ).format(user=username, password=password)
    note = _(
        "Demo: email goes to the Maildir {path} (read it with `mutt -f {path}`); the residents' "
        "pages are at {url}/ (sign up at {url}/bli-med)."
    ).format(path=maildir, url=site.url)
    try:
        site.start()
        print(_("The residents' pages: {url}/ (sign up at {url}/bli-med).").format(url=site.url))
        if sys.stdin.isatty():
            input(_("Press Enter to start the app (the login is shown on its first screen too) "))
        guide = {"maildir": str(maildir), "site": site.url}
        return run_app(args, settings, login_hint=hint, mail_note=note, guide=guide)
    finally:
        site.stop()
        catcher.stop()


def _build(settings: Settings, *, base_url: str) -> None:
    from mail.compose import event_mail
    from store.db import Database
    from store.demo import build_demo
    from store.migrate import upgrade
    from store.secrets import ServerKey

    if settings.demo_dir.exists():
        shutil.rmtree(settings.demo_dir)  # a half-built demo from an interrupted run
    settings.demo_dir.mkdir(parents=True, mode=0o700)
    key = ServerKey.create_file(settings.resolved_secret_key_file)
    db = Database(settings.resolved_database_url)
    try:
        upgrade(db)
        login = build_demo(
            db, key, mail=event_mail(mail_from=settings.mail_from, base_url=base_url)
        )
    finally:
        db.dispose()
    path = settings.demo_dir / LOGIN_FILE
    path.touch(mode=0o600)
    path.write_text(f"{login.username}\n{login.password}\n", encoding="utf-8")


def _secret(settings: Settings, username: str) -> str:
    from store.demo import demo_totp_secret

    from .backend import open_backend

    backend = open_backend(settings)
    try:
        return demo_totp_secret(backend.db, backend.key, username=username)
    finally:
        backend.close()


def _print_login(settings: Settings, username: str, password: str, secret: str) -> None:
    from store.auth import provisioning_uri

    from .qr import qr_text

    print(qr_text(provisioning_uri(secret, username)))
    print(_("Demo data: {path}").format(path=settings.demo_dir))
    print(
        _("Log in as {user} with the password {password}").format(user=username, password=password)
    )
    print(_("The same password works for redaktor (editor) and analytiker (analyst)."))
    print(
        _("TOTP secret: {secret} (scan the QR code above with an authenticator app)").format(
            secret=secret
        )
    )
    print(_("Or run `uv run panel demo --code` in another terminal for the current code."))
