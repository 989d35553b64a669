"""The pictures of the app in README.md, taken from the demo as a newcomer walks through it.

    uv run python docs/screenshots.py [--out docs/images] [--language en|nb]

Builds a demo in a temporary directory (the same `build_demo` as `panel demo`), drives the real
app with Textual's Pilot through the walkthrough's steps, and saves each screen as SVG. The
residents' answers in between go through the same store functions as the residents' pages.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (120, 38)


async def take(out: Path, language: str) -> list[Path]:
    import pyotp
    from textual.widgets import Input

    from mail.catcher import MaildirCatcher
    from mail.compose import event_mail
    from store.db import Database
    from store.demo import build_demo, demo_totp_secret
    from store.migrate import upgrade
    from store.secrets import ServerKey
    from tui.app import create_app
    from tui.backend import Backend
    from tui.dispatching import make_dispatcher
    from tui.i18n import use_language
    from tui.settings import load_settings

    use_language(language)
    saved: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        catcher = MaildirCatcher(data / "mail").start()  # the demo's own SMTP catcher
        settings = load_settings(
            data_dir=data, language=language, smtp_host="127.0.0.1", smtp_port=catcher.port
        )
        db = Database(f"sqlite:///{data / 'panel.db'}")
        upgrade(db)
        key = ServerKey.generate()
        mail = event_mail(mail_from=settings.mail_from, base_url="http://127.0.0.1:8080")
        login = build_demo(db, key, mail=mail)
        secret = demo_totp_secret(db, key, username=login.username)
        guide = {
            "maildir": str(Path("~/.local/share/panel-demo/mail")),
            "site": "http://127.0.0.1:8080",
        }
        app = create_app(settings, backend=Backend(settings=settings, db=db, key=key), guide=guide)

        async with app.run_test(size=SIZE) as pilot:

            async def settle() -> None:
                for _ in range(4):
                    await pilot.app.workers.wait_for_complete()
                    await pilot.pause()

            def shot(name: str) -> None:
                path = out / f"{name}.svg"
                pilot.app.save_screenshot(filename=path.name, path=str(out))
                saved.append(path)

            await settle()
            shot("01-login")
            await pilot.press(*login.username, "enter")
            pilot.app.screen.query_one("#password", Input).value = login.password
            await pilot.press("enter")
            await settle()
            await pilot.press(*pyotp.TOTP(secret).now(), "enter")
            await settle()
            shot("02-home-guide")
            await pilot.press("f7")
            await settle()
            shot("03-who-is-missing")
            await pilot.press("f4")
            await settle()
            await pilot.press("d")  # a copy of the climate survey, the newest
            await settle()
            await pilot.press("o")
            await settle()
            await pilot.press("y")
            await settle()
            await pilot.press("s")
            await settle()
            dialog = pilot.app.screen
            dialog.query_one("#send-method").value = "stratified"
            dialog.query_one("#send-size", Input).value = "100"
            await pilot.press("ctrl+r")
            await settle()
            shot("04-send-stratified")
            await pilot.press("ctrl+s")
            await settle()
            await pilot.press("y")
            await settle()
            await make_dispatcher(app.backend, settings).run(once=True)  # as the demo's app does
            await pilot.press("f5")
            await settle()
            shot("05-dispatch-queue")
            _answer_some(db, key)
            await pilot.press("f4")
            await settle()
            await pilot.press("R")
            await settle()
            shot("06-results")
            await pilot.press("escape")
            await settle()
            await pilot.press("f10")
            await settle()
            await pilot.press("enter")
            await settle()
            shot("07-workshop")
        db.dispose()
        catcher.stop()
    return saved


def _answer_some(db, key) -> None:
    """A few residents answer the new survey, as its pages would store them."""
    import random

    from sqlmodel import col, select

    from store.answering import new_response
    from store.demo import _answers
    from store.models import Answer, Invitation, Participant, Survey
    from store.surveys import load_spec
    from store.timeutil import utcnow

    rng = random.Random(7)
    with db.write() as session:
        survey = session.exec(select(Survey).order_by(col(Survey.id).desc())).first()
        spec = load_spec(session, survey)
        invitations = session.exec(
            select(Invitation).where(Invitation.survey_id == survey.id).limit(40)
        ).all()
        for invitation in invitations:
            person = session.get(Participant, invitation.participant_id)
            now = utcnow()
            invitation.started_at = invitation.completed_at = now
            response = new_response(survey, invitation, person, now)
            session.add(response)
            session.flush()
            session.add_all(
                Answer(response_id=response.id, **values) for values in _answers(spec, rng)
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--language", choices=("en", "nb"), default="en")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(take(args.out, args.language)):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
