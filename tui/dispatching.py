"""The dispatcher built from the settings, for `panel worker` and for the app itself.

On one machine (and in the demo) the staff app can send what is queued itself: the dispatcher
runs in a thread with its own event loop, so neither SMTP nor database waits ever hold up the
screen, and it stops cleanly with the app, giving its unsent leases back to the queue.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from mail.dispatcher import Dispatcher, Summary
    from mail.transport import SmtpConfig

    from .backend import Backend
    from .settings import Settings

log = logging.getLogger(__name__)


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


SCHEDULE_SECONDS = 600.0  # how often a running worker does what is scheduled


def queue_due_reminders(backend: Backend, settings: Settings) -> list[tuple[int, str, int]]:
    """Queue the scheduled reminders that are due now: (survey id, title, how many) for each
    survey that got any. A survey closed or changed meanwhile is passed over."""
    from store.actors import Actor
    from store.errors import NotFound, Refused
    from store.sending import scheduled_reminders

    from .cli_send import remind_survey

    actor = Actor.schedule()
    done = []
    for survey_id, title in scheduled_reminders(backend.db, actor=actor):
        try:
            queued = remind_survey(backend, settings, actor=actor, survey_id=survey_id,
                                   due_only=True)  # fmt: skip
        except (NotFound, Refused):
            continue
        if queued.queued:
            done.append((survey_id, title, queued.queued))
    return done


def queue_workshop_mail(backend: Backend, settings: Settings) -> int:
    """Give the places freed in workshop sessions to their waiting lists, and remind everyone
    with a place in a session that starts tomorrow; how many emails were queued."""
    from mail.compose import event_mail
    from store.events import fill_free_places, queue_session_reminders

    mail = event_mail(mail_from=settings.mail_from, base_url=settings.base_url)
    promoted = fill_free_places(backend.db, backend.key, mail=mail)
    if promoted:
        log.info("gave %d freed workshop places to the waiting lists", promoted)
    queued = queue_session_reminders(backend.db, backend.key, mail=mail)
    if queued:
        log.info("queued %d workshop reminders for tomorrow's sessions", queued)
    return promoted + queued


def scheduled_round(backend: Backend, settings: Settings) -> list[tuple[int, str, int]]:
    """What a worker does now and then besides sending: end the residents' pauses that have run
    out, delete sign-ups left unconfirmed too long, give freed workshop places to the waiting
    lists, remind those with a place in tomorrow's workshop sessions, and queue the survey
    reminders that are due (which it returns, as `queue_due_reminders`)."""
    from store.residents import end_pauses
    from store.signup import expire_signups

    end_pauses(backend.db)
    expire_signups(backend.db)
    queue_workshop_mail(backend, settings)
    return queue_due_reminders(backend, settings)


async def run_with_schedule(
    dispatcher: Dispatcher,
    backend: Backend,
    settings: Settings,
    *,
    once: bool = False,
    report: Callable[[list[tuple[int, str, int]]], None] | None = None,
) -> Summary:
    """Run the dispatcher, doing the scheduled round first and, while it runs, every
    `SCHEDULE_SECONDS`; `report` hears of the reminders queued."""

    async def round_() -> None:
        try:
            done = await asyncio.to_thread(scheduled_round, backend, settings)
        except Exception:  # a failed round is logged; the next one tries again
            log.exception("the scheduled round")
            return
        if done and report is not None:
            report(done)

    async def rounds() -> None:
        while True:
            await asyncio.sleep(SCHEDULE_SECONDS)
            await round_()

    await round_()
    if once:
        return await dispatcher.run(once=True)
    task = asyncio.create_task(rounds())
    try:
        return await dispatcher.run()
    finally:
        task.cancel()


class BackgroundDispatcher:
    """A dispatcher running in a thread of its own until `stop`."""

    def __init__(self, backend: Backend, settings: Settings) -> None:
        self.backend, self.settings = backend, settings
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
            self.loop.run_until_complete(
                run_with_schedule(self.dispatcher, self.backend, self.settings)
            )
        except BaseException as exc:  # reported by the app, never raised into the UI
            self.error = exc
        finally:
            self.loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.dispatcher.stop)
        self.thread.join(timeout)
