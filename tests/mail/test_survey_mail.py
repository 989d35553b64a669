"""A survey's invitations, queued by the store and sent by the dispatcher, as residents get them."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from mail.compose import survey_letters
from store.actors import Actor
from store.links import token_hash
from store.models import Invitation, Message, Participant
from store.sampling import Selection, plan_send
from store.sending import Mailing, queue_invitations
from store.surveys import get_survey
from store.timeutil import utcnow
from tests.cli.helpers import PANEL
from tests.mail.test_guarantees import worker_env
from tests.store.test_sending import open_survey as open_survey_titled

ADMIN = Actor.operator()
MAILING = Mailing("Bærum kommune <innbyggerpanel@baerum.kommune.no>", "https://panel.example")


def open_survey(db, **schedule) -> int:
    return open_survey_titled(db, "Klima i Bærum", **schedule)


async def test_an_invitation_arrives_with_its_personal_link_and_one_click_unsubscribe(
    db, key, smtp, dispatcher
) -> None:
    survey_id = open_survey(db)
    with db.write() as session:
        for name, email, language in (
            ("Åse Ødegård", "ase@example.no", "nb"),
            ("Emma Smith", "emma@example.no", "en"),
        ):
            session.add(Participant(name=name, email=email, email_key=email, language=language,
                                    status="active"))  # fmt: skip
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection())
    letters = survey_letters(
        "invitation", title="Klima i Bærum", intro="", anonymous=True, closes_on=None,
        mail_from=MAILING.mail_from,
    )  # fmt: skip
    queue_invitations(db, key, actor=ADMIN, plan=plan, letters=letters, mailing=MAILING)

    summary = await dispatcher().run(once=True)
    assert summary.sent == 2
    by_address = {r.rcpt_tos[0]: r.message for r in smtp.received}
    ase, emma = by_address["ase@example.no"], by_address["emma@example.no"]
    assert (
        ase["Subject"] == "Klima i Bærum"
        and "Hei Åse Ødegård," in ase.get_body(("plain",)).get_content()
    )
    assert "Hello Emma Smith," in emma.get_body(("plain",)).get_content()
    for message in (ase, emma):
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "[[" not in text and "[[" not in html and "[[" not in str(message)
        link = re.search(r"https://panel\.example/s/(\S+)", text)
        assert link and f'href="https://panel.example/s/{link.group(1)}"' in html
        assert message["List-Unsubscribe"].startswith("<https://panel.example/u/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "<img" not in html  # no tracking pixels, no images at all
        with db.read() as session:
            invitation = session.exec(
                select(Invitation).where(Invitation.token_hash == token_hash(key, link.group(1)))
            ).one()
            assert invitation.sent_at is not None
    with db.read() as session:
        rows = session.exec(select(Message)).all()
    assert {r.status for r in rows} == {"sent"} and all(r.sealed is None for r in rows)
    assert {r.message_id for r in rows} == {str(m["Message-ID"]) for m in (ase, emma)}


def test_the_worker_sends_scheduled_reminders_when_they_are_due(db, key, smtp) -> None:
    survey_id = open_survey(db, remind_after_days=3, max_reminders=2)
    assert get_survey(db, actor=ADMIN, survey_id=survey_id).spec.remind_after_days == 3
    with db.write() as session:
        for n in range(3):
            email = f"p{n}@example.no"
            session.add(Participant(name=f"P{n}", email=email, email_key=email, status="active"))
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection())
    letters = survey_letters(
        "invitation", title="Klima i Bærum", intro="", anonymous=True, closes_on=None,
        mail_from=MAILING.mail_from,
    )  # fmt: skip
    queue_invitations(db, key, actor=ADMIN, plan=plan, letters=letters, mailing=MAILING)
    env = worker_env(db, key, smtp, PANEL_BASE_URL="https://panel.example")

    def worker() -> str:
        done = subprocess.run([PANEL, "worker", "--once"], env=env, capture_output=True,
                              text=True, timeout=120, check=True)  # fmt: skip
        return done.stdout

    assert "reminder" not in worker()  # the invitations go; no reminder is due yet
    assert len(smtp.received) == 3
    with db.write() as session:  # p0 answers; the invitations are four days old
        session.execute(update(Invitation).values(created_at=utcnow() - timedelta(days=4)))
        answered = session.exec(select(Invitation).order_by(Invitation.id)).first()
        answered.completed_at = utcnow()
        session.add(answered)
    output = worker()
    assert f"Queued 2 scheduled reminders for survey {survey_id}" in output, output
    reminders = [r for r in smtp.received if r.message["Subject"].startswith("Påminnelse")]
    assert sorted(r.rcpt_tos[0] for r in reminders) == ["p1@example.no", "p2@example.no"]
    invitations = {r.rcpt_tos[0]: r.message for r in smtp.received[:3]}
    for reminder in reminders:  # the same personal link as the invitation's
        text = reminder.message.get_body(("plain",)).get_content()
        link = re.search(r"https://panel\.example/s/\S+", text)
        sent_first = invitations[reminder.rcpt_tos[0]].get_body(("plain",)).get_content()
        assert link and link.group() in sent_first
    assert "reminder" not in worker()  # the next is due three days after this one
    with db.read() as session:
        assert len(session.exec(select(Message).where(Message.kind == "reminder")).all()) == 2


def test_the_worker_deletes_sign_ups_left_unconfirmed_for_a_week(db, key, smtp) -> None:
    with db.write() as session:
        for email, days in (("old@example.no", 8), ("new@example.no", 1)):
            session.add(Participant(name=email, email=email, email_key=email, status="pending",
                                    consent_at=utcnow() - timedelta(days=days)))  # fmt: skip
        old = utcnow() - timedelta(days=400)
        session.add(Participant(name="M", email="m@example.no", email_key="m@example.no",
                                status="active", consent_at=old))  # fmt: skip
    env = worker_env(db, key, smtp)
    subprocess.run([PANEL, "worker", "--once"], env=env, capture_output=True, text=True,
                   timeout=120, check=True)  # fmt: skip
    with db.read() as session:
        left = sorted(p.email for p in session.exec(select(Participant)))
    assert left == ["m@example.no", "new@example.no"]
