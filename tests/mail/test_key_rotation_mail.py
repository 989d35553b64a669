"""A survey's emails through a rotation of the server key, over real SMTP: a reminder after the
rotation repeats the link the resident has; a reminder after the old key's retirement brings a
new link, and the old one no longer opens the survey."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from mail.compose import survey_letters
from mail.dispatcher import Dispatcher
from store.actors import Actor
from store.answering import LinkUnusable, open_sheet
from store.keyring import retire, rotate
from store.models import Participant, Survey
from store.sampling import Selection, plan_send
from store.secrets import ServerKey
from store.sending import Mailing, queue_invitations, queue_reminders
from tests.mail.outbox_rows import SENDER
from tests.store.test_sending import open_survey

ADMIN = Actor.operator()
MAILING = Mailing("Bærum kommune <innbyggerpanel@baerum.kommune.no>", "https://panel.example")


def letters(kind: str):
    return survey_letters(
        kind, title="Klima", intro="", anonymous=True, closes_on=None, mail_from=MAILING.mail_from
    )


class Server:
    """The test's SMTP server, and how to reach it."""

    def __init__(self, smtp, config) -> None:
        self.received, self.config = smtp.received, config


@pytest.fixture
def server(smtp, smtp_config) -> Server:
    return Server(smtp, smtp_config)


async def send(db, key: ServerKey, server: Server) -> dict[str, str]:
    """Send what is due with a worker holding `key`; the survey link each address got."""
    before = len(server.received)
    dispatcher = Dispatcher(
        db, key, server.config, mail_from=SENDER, rate=1000, concurrency=2, max_attempts=3,
        retry_seconds=0.0, poll_seconds=0.05,
    )  # fmt: skip
    summary = await dispatcher.run(once=True)
    assert (summary.sent, summary.failed, summary.retried) == (2, 0, 0)
    links = {}
    for received in server.received[before:]:
        text = received.message.get_body(("plain",)).get_content()
        links[received.rcpt_tos[0]] = re.search(r"https://panel\.example/s/(\S+)", text).group(1)
    return links


async def test_reminders_through_a_rotation_and_a_retirement(db, server) -> None:
    old = ServerKey.generate()
    survey_id = open_survey(db)
    with db.write() as session:
        for n in range(2):
            email = f"p{n}@example.no"
            session.add(Participant(name=f"P{n}", email=email, email_key=email, status="active"))
        session.execute(update(Survey).values(max_reminders=2))
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection())
    queue_invitations(db, old, actor=ADMIN, plan=plan, letters=letters("invitation"),
                      mailing=MAILING)  # fmt: skip
    first = await send(db, old, server)
    assert sorted(first) == ["p0@example.no", "p1@example.no"]

    new = old.rotated()
    rotate(db, new, actor=ADMIN, replaced=old)
    queue_reminders(db, actor=ADMIN, survey_id=survey_id, letters=letters("reminder"),
                    mailing=MAILING)  # fmt: skip
    assert await send(db, new, server) == first  # the same links, made by the old key
    for token in first.values():
        assert open_sheet(db, new, token).survey_id == survey_id

    retire(db, new, actor=ADMIN)
    current = new.alone
    queue_reminders(db, actor=ADMIN, survey_id=survey_id, letters=letters("reminder"),
                    mailing=MAILING)  # fmt: skip
    second = await send(db, current, server)
    assert sorted(second) == sorted(first)
    for address, token in second.items():
        assert token != first[address]
        assert open_sheet(db, current, token).survey_id == survey_id
        with pytest.raises(LinkUnusable):
            open_sheet(db, current, first[address])
