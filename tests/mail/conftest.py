"""A real SMTP server for every mail test, and the dispatcher pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mail.dispatcher import Dispatcher
from mail.transport import SmtpConfig
from tests.mail.outbox_rows import SENDER
from tests.mail.smtp_server import SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_config(smtp) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=smtp.port, local_hostname="panel.test", timeout=5)


@pytest.fixture
def dispatcher(db, key, smtp_config):
    """Makes dispatchers on the test's database and server; quick to retry by default."""

    def make(**options) -> Dispatcher:
        settings = dict(
            mail_from=SENDER, rate=1000, concurrency=2, max_attempts=3, retry_seconds=0.0,
            poll_seconds=0.05,
        )  # fmt: skip
        config = options.pop("config", smtp_config)
        settings.update(options)
        return Dispatcher(db, key, config, **settings)

    return make
