"""The server key: encrypts TOTP secrets and keys the HMACs of link tokens and recovery codes.

A copy of the database without this key lets nobody log in as staff or act as a participant.

The key can be a ring: the current key first, then the keys it replaced (one per line in the key
file, or separated by spaces in PANEL_SECRET_KEY). The current key makes everything new; every
key of the ring is accepted when something is checked. See store/keyring.py for rotating.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32


class ServerKeyError(Exception):
    """The server key is missing, unreadable or malformed; the message says which."""


class ServerKey:
    def __init__(self, raw: bytes, previous: Sequence[ServerKey] = ()) -> None:
        if len(raw) < KEY_BYTES:
            raise ServerKeyError(f"the server key must hold at least {KEY_BYTES} bytes")
        self._raw = raw
        self._subkeys: dict[str, bytes] = {}
        self._pads: dict[str, tuple[Any, Any]] = {}
        self._fernet = Fernet(base64.urlsafe_b64encode(self.derive("totp-secret")))
        # The keys this one replaced, newest first: they check what they made, and make nothing.
        self.previous: tuple[ServerKey, ...] = tuple(k.alone for k in previous)
        if len({k.key_id for k in self.ring}) < len(self.ring):
            raise ServerKeyError("the same key is in the ring twice")

    @property
    def ring(self) -> tuple[ServerKey, ...]:
        return (self, *self.previous)

    @cached_property
    def alone(self) -> ServerKey:
        """The current key without the ring: what accepts only what the current key made."""
        return ServerKey(self._raw) if self.previous else self

    @cached_property
    def key_id(self) -> str:
        """A short name for the key, to tell keys apart in a report; it gives nothing away."""
        return self.derive("key-id")[:4].hex()

    def rotated(self) -> ServerKey:
        """A new current key, with this ring behind it."""
        return ServerKey(secrets.token_bytes(KEY_BYTES), previous=self.ring)

    @classmethod
    def generate(cls) -> ServerKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_text(cls, text: str) -> ServerKey:
        """One key, or a ring of them separated by whitespace, the current key first."""
        raws = []
        for n, part in enumerate(text.split(), start=1):
            try:
                raws.append(base64.urlsafe_b64decode(part.encode("ascii")))
            except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
                where = f"key {n} of the ring" if len(text.split()) > 1 else "the server key"
                raise ServerKeyError(f"{where} is not valid base64") from exc
        if not raws:
            raise ServerKeyError("the server key is empty")
        return cls(raws[0], previous=[cls(raw) for raw in raws[1:]])

    @classmethod
    def from_file(cls, path: Path) -> ServerKey:
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="ascii")
        except FileNotFoundError as exc:
            raise ServerKeyError(f"{path} does not exist (run `panel init` to create it)") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ServerKeyError(f"{path} cannot be read: {exc}") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ServerKeyError(f"{path} is readable by others; run `chmod 600 {path}`")
        return cls.from_text(text)

    @classmethod
    def create_file(cls, path: Path) -> ServerKey:
        """Write a new key readable by its owner only; an existing file is never overwritten."""
        key = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.ring_text())
        return key

    def replace_file(self, path: Path) -> None:
        """Write this ring over the key file, all at once: a crash leaves the old file or the
        new one, never half of one. The new file keeps the old one's owner, readable by it only."""
        before = path.stat()
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(self.ring_text())
                handle.flush()
                os.fsync(handle.fileno())
            if os.geteuid() == 0:  # root (through sudo) writes it for the service user
                os.chown(temporary, before.st_uid, before.st_gid)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    @classmethod
    def load_or_create(cls, path: Path) -> tuple[ServerKey, bool]:
        if path.exists():
            return cls.from_file(path), False
        return cls.create_file(path), True

    def as_text(self) -> str:
        return base64.urlsafe_b64encode(self._raw).decode("ascii")

    def ring_text(self) -> str:
        """The key file's text: the current key's line first, then the previous keys'."""
        return "".join(k.as_text() + "\n" for k in self.ring)

    def derive(self, purpose: str) -> bytes:
        """A 32-byte subkey for one purpose, so that no two uses share a key."""
        if purpose not in self._subkeys:
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
            self._subkeys[purpose] = hkdf.derive(self._raw)
        return self._subkeys[purpose]

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """`token` decrypted by whichever key of the ring encrypted it."""
        try:
            return self._decrypter.decrypt(token.encode("ascii")).decode()
        except InvalidToken as exc:
            raise ServerKeyError("this value was encrypted with another server key") from exc

    def can_decrypt(self, token: str) -> bool:
        try:
            self.decrypt(token)
        except ServerKeyError:
            return False
        return True

    @cached_property
    def _decrypter(self) -> Fernet | MultiFernet:
        return MultiFernet([k._fernet for k in self.ring]) if self.previous else self._fernet

    def digest(self, purpose: str, data: bytes) -> bytes:
        """HMAC-SHA256 of `data` under the purpose's subkey (RFC 2104).

        Worked from the key's two padded hash states, made once per purpose and copied for each
        call: about three times quicker than `hmac.digest`, which sets the key up anew each
        time, and a send makes two of these per person."""
        inner, outer = self._pads.get(purpose) or self._padded(purpose)
        inside = inner.copy()
        inside.update(data)
        result = outer.copy()
        result.update(inside.digest())
        return result.digest()

    def digester(self, purpose: str) -> Callable[[bytes], bytes]:
        """`digest` under one purpose, as a function: for making many in a loop."""
        inner, outer = self._pads.get(purpose) or self._padded(purpose)
        inner_copy, outer_copy = inner.copy, outer.copy

        def digest(data: bytes) -> bytes:
            inside = inner_copy()
            inside.update(data)
            result = outer_copy()
            result.update(inside.digest())
            return result.digest()

        return digest

    def _padded(self, purpose: str) -> tuple[Any, Any]:
        """The purpose's subkey's inner and outer padded SHA-256 states."""
        subkey = self.derive(purpose).ljust(64, b"\0")  # a 32-byte key, SHA-256's 64-byte block
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in subkey))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in subkey))
        self._pads[purpose] = (inner, outer)
        return inner, outer

    def mac(self, purpose: str, value: str) -> str:
        """A keyed hash of `value`, for storing tokens and codes that must be checked, not read."""
        return self.digest(purpose, value.encode()).hex()

    def macs(self, purpose: str, value: str) -> list[str]:
        """`mac` under every key of the ring: what a stored hash is looked up among."""
        return [k.mac(purpose, value) for k in self.ring]

    def mac_ok(self, purpose: str, value: str, digest: str, length: int = 64) -> bool:
        """Whether `digest` is the (first `length` characters of the) mac of `value` under a key
        of the ring."""
        return any(hmac.compare_digest(k.mac(purpose, value)[:length], digest) for k in self.ring)

    def remade(
        self,
        make: Callable[[ServerKey], str],
        hashed: Callable[[ServerKey, str], str],
        stored: str | None,
    ) -> str:
        """A token made again from what its row keeps (a salt), by the key of the ring that made
        it: the one under which `hashed(key, token)` is the `stored` hash; else the current
        key's."""
        if stored is not None and self.previous:
            for key in self.ring:
                token = make(key)
                if hmac.compare_digest(hashed(key, token), stored):
                    return token
        return make(self)
