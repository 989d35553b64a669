"""The server key: encrypts TOTP secrets and keys the HMACs of link tokens and recovery codes.

A copy of the database without this key lets nobody log in as staff or act as a participant.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32


class ServerKeyError(Exception):
    """The server key is missing, unreadable or malformed; the message says which."""


class ServerKey:
    def __init__(self, raw: bytes) -> None:
        if len(raw) < KEY_BYTES:
            raise ServerKeyError(f"the server key must hold at least {KEY_BYTES} bytes")
        self._raw = raw
        self._subkeys: dict[str, bytes] = {}
        self._fernet = Fernet(base64.urlsafe_b64encode(self.derive("totp-secret")))

    @classmethod
    def generate(cls) -> ServerKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @classmethod
    def from_text(cls, text: str) -> ServerKey:
        try:
            return cls(base64.urlsafe_b64decode(text.strip().encode("ascii")))
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise ServerKeyError("the server key is not valid base64") from exc

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
            handle.write(key.as_text() + "\n")
        return key

    @classmethod
    def load_or_create(cls, path: Path) -> tuple[ServerKey, bool]:
        if path.exists():
            return cls.from_file(path), False
        return cls.create_file(path), True

    def as_text(self) -> str:
        return base64.urlsafe_b64encode(self._raw).decode("ascii")

    def derive(self, purpose: str) -> bytes:
        """A 32-byte subkey for one purpose, so that no two uses share a key."""
        if purpose not in self._subkeys:
            hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
            self._subkeys[purpose] = hkdf.derive(self._raw)
        return self._subkeys[purpose]

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken as exc:
            raise ServerKeyError("this value was encrypted with another server key") from exc

    def mac(self, purpose: str, value: str) -> str:
        """A keyed hash of `value`, for storing tokens and codes that must be checked, not read."""
        return hmac.digest(self.derive(purpose), value.encode(), "sha256").hex()
