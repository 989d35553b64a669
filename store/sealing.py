"""Personal links kept out of the outbox's clear text.

An email is written to the outbox when it is queued, but its personal links (answer the survey,
unsubscribe) would let anyone holding a copy of the database act as the resident. So the
stored subject, bodies and headers carry placeholders such as `[[link]]`, and the links
themselves are stored sealed: encrypted with the server key. The dispatcher, which has the
key, opens them at the moment of sending; afterwards the sealed value is cleared.

A survey send needs none of this: its letters hold the links as templates that the dispatcher
fills from the invitation's salt (see store/links.py). Sealing is for emails written one at a
time whose links cannot be made again from what the database holds.

Viewing a message shows it as sent, with each placeholder standing where its link went.
"""

from __future__ import annotations

import base64
import json
import os
from functools import lru_cache
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
    data = _cipher(key).encrypt(nonce, json.dumps(links).encode(), None)
    return base64.urlsafe_b64encode(nonce + data).decode("ascii")


@lru_cache(maxsize=8)
def _cipher(key: ServerKey) -> AESGCM:
    return AESGCM(key.derive("outbox-links"))


def open_links(key: ServerKey, sealed: str | None) -> dict[str, str]:
    """The links, opened by whichever key of the ring sealed them."""
    if not sealed:
        return {}
    raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
    for one in key.ring:
        try:
            plain = _cipher(one).decrypt(raw[:12], raw[12:], None)
        except Exception:  # InvalidTag: another key, or tampered with
            continue
        return json.loads(plain)
    raise ServerKeyError("these links were sealed with another server key")


def fill(text: str, links: dict[str, str]) -> str:
    for placeholder, url in links.items():
        text = text.replace(placeholder, url)
    return text


def fill_headers(headers: dict[str, Any] | None, links: dict[str, str]) -> dict[str, str]:
    return {name: fill(str(value), links) for name, value in (headers or {}).items()}
