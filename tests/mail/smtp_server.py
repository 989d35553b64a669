"""A real SMTP server for the tests: aiosmtpd on an ephemeral port, in a thread of its own.

It keeps every message it accepts (parsed), counts connections, and misbehaves on demand:
a 4xx or 5xx reply at MAIL, RCPT or DATA, a dropped connection, or slowness. TLS (implicit
or STARTTLS) and AUTH use a self-signed certificate made here with `cryptography`.
"""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import ipaddress
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    connection: int  # which connection brought it, counting from 0
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.message = parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Rule:
    """Misbehave at `stage` the next `times` times: reply `reply`, or drop the connection."""

    stage: str  # MAIL, RCPT or DATA
    reply: str | None  # None: drop the connection
    times: int
    to: str | None = None  # only for this recipient (RCPT and DATA)


class RecordingHandler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.ehlo_names: list[str] = []
        self.delay = 0.0  # seconds to think before answering DATA
        self.rules: list[Rule] = []
        self._connections: dict[int, int] = {}
        self._keep: list[object] = []  # so that ids of finished connections are not reused
        self._lock = threading.Lock()

    @property
    def connections(self) -> int:
        return len(self._connections)

    def message_ids(self) -> list[str]:
        return [item.message_id for item in list(self.received)]

    def _connection(self, server: object) -> int:
        with self._lock:
            if id(server) not in self._connections:
                self._keep.append(server)
                self._connections[id(server)] = len(self._connections)
            return self._connections[id(server)]

    def _rule(self, stage: str, recipients: list[str]) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                wanted = rule.to is None or rule.to in recipients
                if rule.stage == stage and rule.times > 0 and wanted:
                    rule.times -= 1
                    return rule
        return None

    async def _misbehave(self, stage: str, server, recipients: list[str]) -> str | None:
        rule = self._rule(stage, recipients)
        if rule is None:
            return None
        if rule.reply is None:
            server.transport.abort()
            return "421 4.3.0 gone"  # never reaches the client: the socket is closed
        return rule.reply

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self._connection(server)
        self.ehlo_names.append(hostname)
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self._connection(server)
        if reply := await self._misbehave("MAIL", server, []):
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if reply := await self._misbehave("RCPT", server, [address]):
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if reply := await self._misbehave("DATA", server, list(envelope.rcpt_tos)):
            return reply
        raw = envelope.original_content or b""
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), raw, self._connection(server))
        )
        return "250 2.0.0 OK queued"


class _Controller(Controller):
    """Binds port 0 and learns the real port before aiosmtpd's own check connects to it."""

    def _trigger_server(self):
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """The server and its handler; `fail`, `drop` and `delay` make it misbehave."""

    def __init__(self, **controller_options) -> None:
        self.handler = RecordingHandler()
        self._controller = _Controller(
            self.handler, hostname=HOST, port=0, server_hostname="smtp.test", **controller_options
        )

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def fail(self, stage: str, code: int = 451, *, times: int = 1, to: str | None = None) -> None:
        text = "4.3.0 try again later" if code < 500 else "5.1.1 no such mailbox"
        self.handler.rules.append(Rule(stage, f"{code} {text}", times, to))

    def drop(self, stage: str, *, times: int = 1) -> None:
        self.handler.rules.append(Rule(stage, None, times))

    @property
    def delay(self) -> float:
        return self.handler.delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        self.handler.delay = seconds


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for localhost and 127.0.0.1, with what each side needs."""

    cert_file: Path
    key_file: Path
    pem: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Trusts this certificate alone."""
        return ssl.create_default_context(cadata=self.pem)


def make_certificate(directory: Path) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = directory / "smtp.crt", directory / "smtp.key"
    cert_file.write_bytes(pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file, key_file, pem.decode("ascii"))


def password_check(username: str, password: str):
    """An aiosmtpd authenticator that lets in one username with one password."""

    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == username
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return authenticate
