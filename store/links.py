"""Residents' personal links: to answer a survey, and to unsubscribe with one click.

An invitation's token is a keyed hash (under the server key) of a random salt kept on the
invitation, so a reminder can repeat the link of the first email. The database holds the salt
and a keyed hash of the token, never the token: a copy of the database alone cannot answer for
anyone. Unsubscribe links carry the participant's id and a keyed hash of it.

So a survey email's links need not be stored at all. The letter a send writes (one per
language) holds them as templates, such as `https://…/s/[[token]]`; the dispatcher, which has the
key, fills in each person's parts from the invitation's salt and the participant's id as it
sends (`link_parts`).

After a rotation the server key is a ring (see store/keyring.py): an incoming token is looked up
by its hash under every key of the ring, and a link is made again by the key whose hash of the
token is the one its row holds, so a reminder repeats the link the resident already has.
"""

from __future__ import annotations

import base64
import secrets

from .secrets import ServerKey

SALT_BYTES = 16  # 128 bits of randomness behind every token
_TOKEN_HASH = "invitation"  # the purpose of the keyed hash an invitation row keeps

# A person's parts of the links in a send's letters.
TOKEN = "[[token]]"
PARTICIPANT = "[[participant]]"
UNSUBSCRIBE_CODE = "[[unsubscribe-code]]"


def new_salt() -> str:
    return secrets.token_hex(SALT_BYTES)


def new_salts(count: int, size: int = SALT_BYTES) -> list[str]:
    """`count` random hex strings of `size` bytes each, from one call to the OS's generator
    (a send draws hundreds of thousands: one call each costs more than the rest of the work)."""
    pool = secrets.token_bytes(count * size).hex()
    step = 2 * size
    return [pool[i : i + step] for i in range(0, len(pool), step)]


def invitation_token(key: ServerKey, salt: str) -> str:
    digest = key.digest("invitation-link", salt.encode())
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")  # 192 bits, 32 characters


def invitation_token_hashes(key: ServerKey, salts: list[str]) -> list[str]:
    """What the invitation row of each salt stores, `token_hash(key, invitation_token(key,
    salt))`, in one loop: a send makes one for everyone it invites."""
    make, keep = key.digester("invitation-link"), key.digester(_TOKEN_HASH)
    encode = base64.urlsafe_b64encode
    return [keep(encode(make(salt.encode())[:24])).hex() for salt in salts]


def token_hash(key: ServerKey, token: str) -> str:
    """What the invitation row stores."""
    return key.mac(_TOKEN_HASH, token)


def token_hashes(key: ServerKey, token: str) -> list[str]:
    """What an incoming link is looked up by: its hash under each key of the ring."""
    return key.macs(_TOKEN_HASH, token)


def survey_link(base_url: str, token: str) -> str:
    return f"{base_url}/s/{token}"


def unsubscribe_code(key: ServerKey, participant_id: int) -> str:
    return key.mac("unsubscribe", str(participant_id))[:32]


def unsubscribe_link(key: ServerKey, base_url: str, participant_id: int) -> str:
    return f"{base_url}/u/{participant_id}/{unsubscribe_code(key, participant_id)}"


def unsubscribe_code_ok(key: ServerKey, participant_id: int, code: str) -> bool:
    return key.mac_ok("unsubscribe", str(participant_id), code, length=32)


def letter_links(base_url: str) -> tuple[str, str]:
    """The survey link and the unsubscribe link as a send's letters hold them."""
    return survey_link(base_url, TOKEN), f"{base_url}/u/{PARTICIPANT}/{UNSUBSCRIBE_CODE}"


def link_parts(
    key: ServerKey, participant_id: int | None, salt: str | None, stored: str | None = None
) -> dict[str, str]:
    """What fills one person's links in a letter: the token (from the invitation's salt, by the
    key of the ring whose hash of it is `stored`) and the participant's unsubscribe code."""
    parts = {}
    if salt:
        parts[TOKEN] = key.remade(lambda k: invitation_token(k, salt), token_hash, stored)
    if participant_id is not None:
        parts[PARTICIPANT] = str(participant_id)
        parts[UNSUBSCRIBE_CODE] = unsubscribe_code(key, participant_id)
    return parts
