"""The demo's Maildir catcher receives real SMTP and keeps each message for reading."""

from __future__ import annotations

import mailbox
import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage

from mail.catcher import MaildirCatcher


def test_each_email_lands_in_the_maildir(tmp_path) -> None:
    catcher = MaildirCatcher(tmp_path / "mail").start()
    try:
        message = EmailMessage()
        message["From"] = "Bærum kommune <innbyggerpanel@baerum.kommune.no>"
        message["To"] = "kari@example.no"
        message["Subject"] = "Klima i Bærum"
        message.set_content("Hei Kari,\n\nsvar her.\n")
        with smtplib.SMTP("127.0.0.1", catcher.port, timeout=10) as client:
            client.send_message(message)
            client.send_message(message, to_addrs=["ola@example.no"])
        assert catcher.count() == 2
    finally:
        catcher.stop()
    parsed = [
        message_from_bytes(bytes(m), policy=policy.default)
        for m in mailbox.Maildir(tmp_path / "mail")
    ]
    kept = sorted((m["X-Envelope-To"], m["Subject"]) for m in parsed)
    assert kept == [("kari@example.no", "Klima i Bærum"), ("ola@example.no", "Klima i Bærum")]
