"""The SMTP transport against a real server: the email as built, connections reused and
recycled, TLS and AUTH, and what each kind of failure means."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import replace

import pytest

from mail.transport import (
    SendError,
    SmtpConfig,
    SmtpPool,
    build_email,
    envelope_sender,
    to_bytes,
)
from store.outbox import Outgoing
from store.sealing import LINK, UNSUBSCRIBE
from tests.mail.outbox_rows import HEADERS, HTML, SENDER, SUBJECT, TEXT, links_for
from tests.mail.smtp_server import SmtpServer, make_certificate, password_check

LINKS = links_for("abc")
ROW = Outgoing(
    id=7,
    to_address="kari@example.no",
    subject=SUBJECT,
    body_text=TEXT,
    body_html=HTML,
    headers=dict(HEADERS),
    sealed=None,
    message_id="<fast.id@baerum.test>",
    attempts=1,
    participant_id=None,
    kind="invitation",
)


def parsed(message) -> email.message.EmailMessage:
    """The message as a receiving server would read it from the wire."""
    return email.message_from_bytes(to_bytes(message), policy=email.policy.default)


def test_the_email_carries_the_rows_headers_and_filled_links():
    message = build_email(ROW, LINKS, "Fallback <fallback@baerum.test>")
    wire = to_bytes(message)
    assert wire.isascii()  # æøå are encoded, in the headers and the bodies
    assert b"\r\n" in wire and b"\n" not in wire.replace(b"\r\n", b"")
    got = parsed(message)
    assert got["Message-ID"] == "<fast.id@baerum.test>"
    assert got["Subject"] == SUBJECT
    assert got["From"] == SENDER
    assert got["To"] == "kari@example.no"
    assert got["Date"]
    assert got["List-Unsubscribe"] == f"<{LINKS[UNSUBSCRIBE]}>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got.get_content_type() == "multipart/alternative"
    text = got.get_body(("plain",)).get_content()
    html = got.get_body(("html",)).get_content()
    assert "Hei Åse!" in text and LINKS[LINK] in text and LINKS[UNSUBSCRIBE] in text
    assert f'href="{LINKS[LINK]}"' in html
    assert b"[[" not in wire
    assert envelope_sender(message) == "panel@baerum.test"


def test_without_html_or_a_from_header_or_a_message_id():
    row = replace(ROW, body_html=None, headers={}, message_id=None, body_text="Bare tekst.")
    message = build_email(row, {}, "Innbyggerpanelet <panel@baerum.test>")
    got = parsed(message)
    assert got.get_content_type() == "text/plain"
    assert got["From"] == "Innbyggerpanelet <panel@baerum.test>"
    assert got["Message-ID"].endswith("@baerum.test>")


def test_headers_the_email_sets_itself_are_not_doubled():
    row = replace(ROW, headers={**HEADERS, "To": "someone@else.no", "Subject": "x"})
    message = build_email(row, LINKS, SENDER)
    assert message.get_all("To") == ["kari@example.no"]
    assert len(message.get_all("Subject")) == 1


def test_a_long_unsubscribe_link_stays_whole_and_usable():
    long_links = {LINK: "https://x.test/1", UNSUBSCRIBE: "https://innbyggerpanel.baerum.kommune.no/"
                  "avmeld/" + "Zx9" * 30}  # fmt: skip
    wire = to_bytes(build_email(ROW, long_links, SENDER))
    assert f"\r\nList-Unsubscribe: <{long_links[UNSUBSCRIBE]}>\r\n".encode() in wire
    assert max(len(line) for line in wire.split(b"\r\n")) < 998


def test_a_line_break_cannot_smuggle_in_a_header():
    row = replace(ROW, subject="Hei\r\nBcc: alle@example.no", headers={**HEADERS, "X-A": "a\nB: c"})
    got = parsed(build_email(row, LINKS, SENDER))
    assert got["Bcc"] is None and got["B"] is None
    assert got["Subject"] == "Hei Bcc: alle@example.no"


def test_a_long_subject_with_letters_beyond_ascii_is_folded_and_decodes():
    subject = "Invitasjon til innbyggerpanelet: hva mener du om sykkelveier på Østerås? " * 2
    row = replace(ROW, subject=subject.strip())
    wire = to_bytes(build_email(row, LINKS, SENDER))
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78
    assert parsed(build_email(row, LINKS, SENDER))["Subject"] == subject.strip()


def test_an_address_that_cannot_be_used_is_refused():
    with pytest.raises(ValueError):
        build_email(replace(ROW, to_address="ikke en adresse"), LINKS, SENDER)


def test_a_placeholder_without_its_link_is_refused():
    with pytest.raises(ValueError, match=r"\[\[unsubscribe\]\]"):
        build_email(ROW, {LINK: "https://x.test/1"}, SENDER)


def email_to(number: int) -> tuple:
    row = replace(ROW, id=number, to_address=f"p{number}@example.no",
                  message_id=f"<{number}@baerum.test>")  # fmt: skip
    message = build_email(row, LINKS, SENDER)
    return message, envelope_sender(message), [row.to_address]


async def send(pool: SmtpPool, number: int) -> None:
    message, sender, recipients = email_to(number)
    await pool.send(message, sender=sender, recipients=recipients)


async def test_one_connection_is_reused_and_recycled_after_100(smtp, smtp_config):
    pool = SmtpPool(smtp_config, size=1)
    for number in range(250):
        await send(pool, number)
    await pool.close()
    assert len(smtp.received) == 250
    assert smtp.handler.connections == pool.opened == 3
    per_connection = [sum(1 for r in smtp.received if r.connection == n) for n in range(3)]
    assert per_connection == [100, 100, 50]
    assert set(smtp.handler.ehlo_names) == {"panel.test"}
    assert smtp.received[0].mail_from == "panel@baerum.test"
    assert smtp.received[0].rcpt_tos == ["p0@example.no"]


async def test_a_connection_that_failed_is_not_used_again(smtp, smtp_config):
    pool = SmtpPool(smtp_config, size=1)
    await send(pool, 1)
    smtp.fail("RCPT", 451)
    with pytest.raises(SendError):
        await send(pool, 2)
    await send(pool, 3)
    await pool.close()
    assert [r.connection for r in smtp.received] == [0, 1]


@pytest.mark.parametrize(
    ("stage", "code", "permanent", "undeliverable"),
    [
        ("MAIL", 451, False, False),
        ("RCPT", 450, False, False),
        ("DATA", 452, False, False),
        ("MAIL", 550, True, False),
        ("RCPT", 550, True, True),
        ("DATA", 554, True, False),
    ],
)
async def test_replies_are_classified(smtp, smtp_config, stage, code, permanent, undeliverable):
    smtp.fail(stage, code)
    pool = SmtpPool(smtp_config, size=1)
    with pytest.raises(SendError) as caught:
        await send(pool, 1)
    await pool.close()
    assert (caught.value.permanent, caught.value.undeliverable) == (permanent, undeliverable)
    assert str(code) in caught.value.reason and stage in caught.value.reason
    assert smtp.received == []


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
async def test_a_dropped_connection_is_temporary(smtp, smtp_config, stage):
    smtp.drop(stage)
    pool = SmtpPool(smtp_config, size=1)
    with pytest.raises(SendError) as caught:
        await send(pool, 1)
    assert not caught.value.permanent
    await send(pool, 2)
    await pool.close()
    assert len(smtp.received) == 1


async def test_no_server_and_a_slow_server_are_temporary(smtp, smtp_config):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    pool = SmtpPool(replace(smtp_config, port=closed_port), size=1)
    with pytest.raises(SendError) as caught:
        await send(pool, 1)
    assert not caught.value.permanent
    smtp.delay = 1.0
    pool = SmtpPool(replace(smtp_config, timeout=0.2), size=1)
    with pytest.raises(SendError) as caught:
        await send(pool, 2)
    assert not caught.value.permanent
    assert "Timeout" in caught.value.reason or "timed out" in caught.value.reason.lower()


@pytest.fixture
def certificate(tmp_path):
    return make_certificate(tmp_path)


def tls_server(certificate, mode: str) -> SmtpServer:
    auth = dict(authenticator=password_check("panel", "hemmelig æøå"), auth_required=True)
    if mode == "tls":
        # aiosmtpd only knows of TLS it started itself (and warns about AUTH without it);
        # this connection is TLS from the start.
        server = SmtpServer(
            ssl_context=certificate.server_context(), auth_require_tls=False, **auth
        )
        return server.start()
    server = SmtpServer(tls_context=certificate.server_context(), require_starttls=True, **auth)
    return server.start()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("mode", ["tls", "starttls"])
async def test_tls_and_login(certificate, mode):
    server = tls_server(certificate, mode)
    config = SmtpConfig(host="127.0.0.1", port=server.port, tls=mode, username="panel",
                        password="hemmelig æøå", local_hostname="panel.test", timeout=5,
                        tls_context=certificate.client_context())  # fmt: skip
    try:
        pool = SmtpPool(config, size=2)
        for number in range(3):
            await send(pool, number)
        await pool.close()
        assert len(server.received) == 3
        wrong = SmtpPool(replace(config, password="feil"), size=1)
        with pytest.raises(SendError) as caught:
            await send(wrong, 9)
        assert not caught.value.permanent  # a login refused says nothing about the message
        assert "535" in caught.value.reason
        untrusting = SmtpPool(replace(config, tls_context=None), size=1)
        with pytest.raises(SendError) as caught:
            await send(untrusting, 10)
        assert "certificate" in caught.value.reason.lower()
        assert len(server.received) == 3
    finally:
        server.stop()


async def test_plain_configuration_does_not_upgrade_or_log_in(smtp, smtp_config):
    pool = SmtpPool(smtp_config, size=1)
    await send(pool, 1)
    await pool.close()
    assert len(smtp.received) == 1
