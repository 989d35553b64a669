"""Builders for outbox rows as the sending code writes them: placeholders in the text, the
personal links sealed with the server key, a Message-ID fixed at queue time."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert
from sqlmodel import select

from store.models import Message, Participant
from store.sealing import LINK, UNSUBSCRIBE, seal

SENDER = "Innbyggerpanelet i Bærum <panel@baerum.test>"
SUBJECT = "Hva mener du om klimaarbeidet i Bærum?"
TEXT = "Hei Åse!\n\nSvar her: [[link]]\n\nMeld deg av: [[unsubscribe]]\n"
HTML = (
    '<p>Hei Åse!</p><p><a href="[[link]]">Svar her</a></p>'
    '<p><a href="[[unsubscribe]]">Meld deg av</a></p>'
)
HEADERS = {
    "From": SENDER,
    "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def links_for(token: str) -> dict[str, str]:
    return {
        LINK: f"https://panel.baerum.test/svar/{token}",
        UNSUBSCRIBE: f"https://panel.baerum.test/avmeld/{token}",
    }


def message_row(key, number: int, **fields: Any) -> dict[str, Any]:
    token = f"{number}-{uuid.uuid4().hex[:8]}"
    row = dict(
        dedupe_key=f"test:{token}",
        kind="invitation",
        to_address=f"deltaker{number}@example.no",
        subject=SUBJECT,
        body_text=TEXT,
        body_html=HTML,
        headers=dict(HEADERS),
        sealed=seal(key, links_for(token)),
        status="queued",
        priority=0,
        attempts=0,
        message_id=f"<{token}@baerum.test>",
    )
    row.update(fields)
    return row


def add_messages(db, key, count: int = 1, *, start: int = 0, **fields: Any) -> list[int]:
    """`count` queued messages; returns their ids in order."""
    rows = [message_row(key, start + n, **fields) for n in range(count)]
    with db.write() as session:
        for chunk in range(0, len(rows), 500):
            session.execute(insert(Message), rows[chunk : chunk + 500])
    keys = [row["dedupe_key"] for row in rows]
    with db.read() as session:
        found = dict(session.exec(select(Message.dedupe_key, Message.id)).all())
    return [found[k] for k in keys]


def add_person(db, email: str, name: str = "Åse Ødegård") -> int:
    with db.write() as session:
        person = Participant(name=name, email=email, email_key=email.casefold(), status="active")
        session.add(person)
        session.flush()
        assert person.id is not None
        return person.id


def message(db, message_id: int) -> Message:
    with db.read() as session:
        row = session.get(Message, message_id)
        assert row is not None
        return row
