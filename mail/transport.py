"""The SMTP transport: a small pool of aiosmtplib connections, the email built from an outbox
row, and what a failed send means (try again later, or never).

One connection sends one message at a time, so speed comes from several connections, each
kept open for many messages. A connection that failed in any way is closed, never reused; one
that has sent `recycle_after` messages says QUIT and a fresh one takes its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import re
import secrets
import socket
import ssl
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any, Literal

import aiosmtplib

from store.outbox import Outgoing
from store.sealing import fill, fill_headers

MESSAGES_PER_CONNECTION = 100
# Headers build_email writes itself; the outbox row's own copies of these are ignored.
OWN_HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type",
               "content-transfer-encoding"}  # fmt: skip
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = _UTF8.body_encoding = QP


class _Prepared(Compat32):
    """Writes each header exactly as `build_email` prepared it: ASCII, folded where needed.

    Nothing is refolded, so long links stay whole; and it is several times quicker than the
    default policy, which parses every header again on the way out.
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        return f"{name}: {self.linesep.join(str(value).splitlines())}{self.linesep}"


WIRE_POLICY = _Prepared(linesep="\r\n")
PLACEHOLDER = re.compile(r"\[\[[a-z_-]+\]\]")
# The steps of the mail transaction; a 5xx reply at any of them is about this message.
_STAGES: dict[type, str] = {
    aiosmtplib.SMTPSenderRefused: "MAIL",
    aiosmtplib.SMTPRecipientRefused: "RCPT",
    aiosmtplib.SMTPDataError: "DATA",
}


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    tls: Literal["none", "starttls", "tls"] = "none"
    username: str = ""
    password: str = field(default="", repr=False)
    local_hostname: str = ""  # the name given in EHLO; empty: this machine's FQDN
    timeout: float = 60.0
    tls_context: ssl.SSLContext | None = None  # e.g. trusting a test's own certificate
    validate_certs: bool = True


class SendError(Exception):
    """A send that did not go through: `permanent` ones are never tried again, and
    `undeliverable` ones were refused at RCPT, so the address itself is bad. `connecting` ones
    never reached the message: the server could not be reached, greeted or logged in to."""

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        undeliverable: bool = False,
        connecting: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.undeliverable = undeliverable
        self.connecting = connecting


def classify(exc: BaseException, *, connecting: bool = False) -> SendError:
    """What an aiosmtplib (or socket) error means for the message being sent.

    A 5xx reply to MAIL, RCPT or DATA is permanent; one at RCPT means the address is
    undeliverable. 4xx replies, lost connections and timeouts are temporary, and so is anything
    while connecting, greeting or logging in: those say nothing about this message.
    """
    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refusals = exc.recipients or [aiosmtplib.SMTPRecipientRefused(450, str(exc), "")]
        exc = refusals[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = f"{exc.code} {exc.message}".strip()
        stage = "connect" if connecting else _STAGES.get(type(exc))
        permanent = 500 <= exc.code < 600 and stage in ("MAIL", "RCPT", "DATA")
        undeliverable = permanent and stage == "RCPT"
        return SendError(f"{stage or 'SMTP'}: {text}", permanent=permanent,
                         undeliverable=undeliverable)  # fmt: skip
    if isinstance(exc, aiosmtplib.SMTPNotSupported | ValueError) and not connecting:
        return SendError(f"cannot send: {exc}", permanent=True)  # e.g. an address we cannot use
    name = type(exc).__name__
    return SendError(f"{name}: {exc}" if str(exc) else name, permanent=False)


def build_email(outgoing: Outgoing, links: dict[str, str], mail_from: str) -> EmailMessage:
    """The email to send: the row's text with its personal links filled in.

    Every header is written out here, ASCII only: names and subjects with æøå as RFC 2047
    encoded words, long links (List-Unsubscribe) left whole on one line rather than encoded,
    which would break one-click unsubscribe. Bodies are UTF-8, quoted-printable. Serialise it
    with `to_bytes`. Raises ValueError when a placeholder has no link (better not sent than
    sent broken) or an address cannot be used.
    """
    extra = fill_headers(outgoing.headers, links)
    subject = fill(outgoing.subject, links)
    text = fill(outgoing.body_text, links)
    html = fill(outgoing.body_html, links) if outgoing.body_html else None
    for part in (subject, text, html or "", *extra.values()):
        if unfilled := PLACEHOLDER.search(part):
            raise ValueError(f"the placeholder {unfilled.group()} has no link")
    sender = extra.get("From") or mail_from
    # compat32 keeps the prepared values as they are; `to_bytes` writes them out.
    message = EmailMessage(policy=WIRE_POLICY)
    message["From"] = _address("From", sender)
    message["To"] = _address("To", outgoing.to_address or "")
    message["Subject"] = _encoded("Subject", subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = _one_line(outgoing.message_id or "") or make_msgid(
        idstring=f"panel{outgoing.id}", domain=_domain(sender)
    )
    for name, value in extra.items():
        if name.lower() not in OWN_HEADERS:
            message[_one_line(name)] = _encoded(name, value)
    message["MIME-Version"] = "1.0"
    body: Message = MIMEText(text, "plain", _UTF8)
    if html:
        # "=_" never occurs in quoted-printable text, so the parts cannot contain it.
        body = MIMEMultipart("alternative", boundary=f"=_{secrets.token_hex(12)}")
        body.attach(MIMEText(text, "plain", _UTF8))
        body.attach(MIMEText(html, "html", _UTF8))
    if outgoing.attachments:
        mixed = MIMEMultipart("mixed", boundary=f"=_{secrets.token_hex(12)}")
        mixed.attach(body)
        for attachment in outgoing.attachments:
            mixed.attach(_attachment(attachment))
        body = mixed
    if body.is_multipart():
        message["Content-Type"] = body["Content-Type"]
        for part in body.get_payload():
            message.attach(part)
    else:
        message.set_payload(text, _UTF8)
    return message


def _attachment(attachment: dict[str, str]) -> Message:
    """A text file sent with the email, such as a calendar entry (text/calendar)."""
    _main, _slash, rest = attachment.get("content_type", "text/plain").partition("/")
    subtype, *params = [p.strip() for p in rest.split(";")]
    part = MIMEText(attachment["text"], subtype or "plain", _UTF8)
    for param in params:
        name, _eq, value = param.partition("=")
        if name.lower() != "charset" and value:
            part.set_param(name, value)
    filename = _one_line(attachment.get("filename", "vedlegg.txt"))
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def to_bytes(message: EmailMessage) -> bytes:
    """The message as it goes on the wire, CRLF line ends, headers as `build_email` made them."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=WIRE_POLICY).flatten(message)
    return buffer.getvalue()


def envelope_sender(message: EmailMessage) -> str:
    """The bare address of the From header, for MAIL FROM."""
    return parseaddr(str(message["From"]))[1]


def _one_line(value: str) -> str:
    return " ".join(value.split())  # no line breaks: a header must not start another


@functools.lru_cache(maxsize=512)
def _encoded(name: str, value: str) -> str:
    """ASCII as it is; anything else as encoded words, folded to fit 78 characters a line."""
    value = _one_line(value)
    return value if value.isascii() else Header(value, _UTF8, header_name=name).encode()


@functools.lru_cache(maxsize=512)
def _address(header: str, value: str) -> str:
    """One mailbox, its display name encoded if it holds æøå."""
    name, address = parseaddr(_one_line(value))
    if "@" not in address:
        raise ValueError(f"{value!r} is not an email address")
    if not address.isascii():
        raise ValueError(f"{address!r} is not an ASCII address, which this transport requires")
    if name and not name.isascii():
        return f"{Header(name, _UTF8, header_name=header).encode()} <{address}>"
    return formataddr((name, address))


def _domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


class _Connection:
    def __init__(self, smtp: aiosmtplib.SMTP) -> None:
        self.smtp = smtp
        self.sent = 0


class SmtpPool:
    """At most `size` connections to one server, opened when needed and reused."""

    def __init__(
        self, config: SmtpConfig, *, size: int, recycle_after: int = MESSAGES_PER_CONNECTION
    ) -> None:
        self.config = config
        self.recycle_after = recycle_after
        self._slots = asyncio.Semaphore(size)
        self._idle: list[_Connection] = []
        # A connection that has sent its share says goodbye in the background, while the one
        # that replaces it is already being opened: recycling holds up no send.
        self._opening: list[asyncio.Task[_Connection]] = []
        self._quitting: set[asyncio.Task[None]] = set()
        self._local_hostname = config.local_hostname
        self.opened = 0  # connections opened so far

    async def send(self, message: EmailMessage, *, sender: str, recipients: list[str]) -> None:
        """Send one message on a free connection; raises SendError saying what failure means."""
        async with self._slots:
            connection = self._idle.pop() if self._idle else None
            if connection is None:
                try:
                    connection = await (self._opening.pop(0) if self._opening else self._open())
                except Exception as exc:
                    error = classify(exc, connecting=True)
                    error.connecting = True
                    raise error from exc
            try:
                await connection.smtp.sendmail(sender, recipients, to_bytes(message))
            except BaseException as exc:
                connection.smtp.close()
                if isinstance(exc, Exception):
                    raise classify(exc) from exc
                raise
            connection.sent += 1
            if connection.sent >= self.recycle_after:
                quitting = asyncio.create_task(self._quit(connection))
                self._quitting.add(quitting)
                quitting.add_done_callback(self._quitting.discard)
                self._opening.append(asyncio.create_task(self._open()))
            else:
                self._idle.append(connection)

    async def _open(self) -> _Connection:
        if not self._local_hostname:
            # Looked up once, in a thread: a slow resolver must not stall the event loop.
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        config = self.config
        smtp = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            local_hostname=self._local_hostname,
            timeout=config.timeout,
            use_tls=config.tls == "tls",
            start_tls=config.tls == "starttls",
            validate_certs=config.validate_certs,
            tls_context=config.tls_context,
            username=config.username or None,
            password=config.password if config.username else None,
        )
        await smtp.connect()
        self.opened += 1
        return _Connection(smtp)

    async def _quit(self, connection: _Connection) -> None:
        with contextlib.suppress(Exception):
            await connection.smtp.quit(timeout=min(self.config.timeout, 10))
        connection.smtp.close()

    async def close(self) -> None:
        """Say QUIT on every idle connection, and on those opened for sends that never came."""
        idle, self._idle = self._idle, []
        opening, self._opening = self._opening, []
        for outcome in await asyncio.gather(*opening, return_exceptions=True):
            if isinstance(outcome, _Connection):
                idle.append(outcome)
        await asyncio.gather(*(self._quit(connection) for connection in idle), *self._quitting)
