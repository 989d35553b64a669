"""A survey's invitations, queued by the store and sent by the dispatcher, as residents get them."""

from __future__ import annotations

import re

from sqlmodel import select

from mail.compose import survey_letters
from store.actors import Actor
from store.links import token_hash
from store.models import Invitation, Message, Participant
from store.sampling import Selection, plan_send
from store.sending import Mailing, queue_invitations
from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec
from store.surveys import create_survey, set_survey_status

ADMIN = Actor.operator()
MAILING = Mailing("Bærum kommune <innbyggerpanel@baerum.kommune.no>", "https://panel.example")


async def test_an_invitation_arrives_with_its_personal_link_and_one_click_unsubscribe(
    db, key, smtp, dispatcher
) -> None:
    spec = SurveySpec(
        title="Klima i Bærum",
        questions=[
            QuestionSpec("a", "single", "Ja?", options=[OptionSpec("Ja"), OptionSpec("Nei")])
        ],
    )
    survey_id = create_survey(db, actor=ADMIN, spec=spec)
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="open")
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
