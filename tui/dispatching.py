"""The dispatcher built from the settings, for `panel worker` and for the app itself.

On one machine (and in the demo) the staff app can send what is queued itself: the dispatcher
runs in a thread with its own event loop, so neither SMTP nor database waits ever hold up the
screen, and it stops cleanly with the app, giving its unsent leases back to the queue.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from mail.dispatcher import Dispatcher, Summary
    from mail.transport import SmtpConfig

    from .backend import Backend
    from .settings import Settings


def smtp_config(settings: Settings) -> SmtpConfig:
    from mail.transport import SmtpConfig

    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value(),
        local_hostname=settings.smtp_local_hostname,
        timeout=settings.smtp_timeout,
    )


def make_dispatcher(
    backend: Backend, settings: Settings, progress: Callable[[Summary], None] | None = None
) -> Dispatcher:
    from mail.dispatcher import Dispatcher

    return Dispatcher(
        backend.db,
        backend.key,
        smtp_config(settings),
        mail_from=settings.mail_from,
        rate=settings.send_rate,
        concurrency=settings.send_concurrency,
        max_attempts=settings.send_max_attempts,
        retry_seconds=settings.send_retry_seconds,
        lease_seconds=settings.send_lease_seconds,
        batch_size=settings.send_batch_size,
        progress=progress,
    )


class BackgroundDispatcher:
    """A dispatcher running in a thread of its own until `stop`."""

    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.dispatcher = make_dispatcher(backend, settings)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> BackgroundDispatcher:
        self.thread.start()
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self.dispatcher.run())
        except BaseException as exc:  # reported by the app, never raised into the UI
            self.error = exc
        finally:
            self.loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.dispatcher.stop)
        self.thread.join(timeout)
