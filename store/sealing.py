"""Personal links kept out of the outbox's clear text.

An email is written to the outbox when it is queued, but its personal links (answer the survey,
unsubscribe) would let anyone holding a copy of the database act as the resident. So the
stored subject, bodies and headers carry placeholders such as `[[link]]`, and the links
themselves are stored sealed: encrypted with the server key. The dispatcher, which has the
key, opens them at the moment of sending; afterwards the sealed value is cleared.

Viewing a message shows it as sent, with each placeholder standing where its link went.
"""

from __future__ import annotations

import json
from typing import Any

from .secrets import ServerKey

LINK = "[[link]]"  # the resident's personal link (answer a survey, confirm, RSVP)
UNSUBSCRIBE = "[[unsubscribe]]"  # one-click unsubscribe (RFC 8058)


def seal(key: ServerKey, links: dict[str, str]) -> str:
    """`links` (placeholder → URL) encrypted with the server key."""
    return key.encrypt(json.dumps(links, sort_keys=True))


def open_links(key: ServerKey, sealed: str | None) -> dict[str, str]:
    return json.loads(key.decrypt(sealed)) if sealed else {}


def fill(text: str, links: dict[str, str]) -> str:
    for placeholder, url in links.items():
        text = text.replace(placeholder, url)
    return text


def fill_headers(headers: dict[str, Any] | None, links: dict[str, str]) -> dict[str, str]:
    return {name: fill(str(value), links) for name, value in (headers or {}).items()}
