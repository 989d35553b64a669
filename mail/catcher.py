"""The demo's mail server: an SMTP server on 127.0.0.1 that keeps every email in a Maildir.

`panel demo` sends real email through the real dispatcher to this server instead of the
internet, so staff can open what residents would receive (any mail program reads a Maildir,
and so does `mutt -f DIR`). It accepts any sender and recipient and relays nothing.
"""

from __future__ import annotations

import mailbox
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _MaildirHandler:
    def __init__(self, maildir: Path) -> None:
        self.box = mailbox.Maildir(maildir, create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode("utf-8")
        message = message_from_bytes(raw, policy=policy.SMTP)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.box.add(mailbox.MaildirMessage(message.as_bytes()))
        return "250 Message accepted for delivery"


class MaildirCatcher:
    """Start, and the server listens on `port` (a free one when 0) until `stop`."""

    def __init__(self, maildir: Path, port: int = 0) -> None:
        self.maildir = maildir
        self.controller = Controller(
            _MaildirHandler(maildir),
            hostname="127.0.0.1",
            port=port or _free_port(),
            server_hostname="panel-demo",
            ready_timeout=10,
        )

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> MaildirCatcher:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def count(self) -> int:
        return len(mailbox.Maildir(self.maildir, create=True))


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
