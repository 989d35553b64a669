"""Personal links kept out of the outbox's clear text.

An email is written to the outbox when it is queued, but its personal links (answer the survey,
unsubscribe) would let anyone holding a copy of the database act as the resident. So the
stored subject, bodies and headers carry placeholders such as `[[link]]`, and the links
themselves are stored sealed: encrypted with the server key. The dispatcher, which has the
key, opens them at the moment of sending; afterwards the sealed value is cleared.

Viewing a message shows it as sent, with each placeholder standing where its link went.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .secrets import ServerKey, ServerKeyError

LINK = "[[link]]"  # the resident's personal link (answer a survey, confirm, RSVP)
UNSUBSCRIBE = "[[unsubscribe]]"  # one-click unsubscribe (RFC 8058)


def seal(key: ServerKey, links: dict[str, str]) -> str:
    """`links` (placeholder → URL) encrypted with a key derived from the server key.

    AES-GCM with a random 96-bit nonce: authenticated, and quick enough to seal a send to a
    hundred thousand people in a fraction of a second.
    """
    nonce = os.urandom(12)
    data = AESGCM(key.derive("outbox-links")).encrypt(nonce, json.dumps(links).encode(), None)
    return base64.urlsafe_b64encode(nonce + data).decode("ascii")


def open_links(key: ServerKey, sealed: str | None) -> dict[str, str]:
    if not sealed:
        return {}
    raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    try:
        plain = AESGCM(key.derive("outbox-links")).decrypt(raw[:12], raw[12:], None)
    except Exception as exc:  # InvalidTag: another key, or tampered with
        raise ServerKeyError("these links were sealed with another server key") from exc
    return json.loads(plain)


def fill(text: str, links: dict[str, str]) -> str:
    for placeholder, url in links.items():
        text = text.replace(placeholder, url)
    return text


def fill_headers(headers: dict[str, Any] | None, links: dict[str, str]) -> dict[str, str]:
    return {name: fill(str(value), links) for name, value in (headers or {}).items()}
