"""`panel worker [--once]`: the dispatcher that sends the outbox's email."""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from typing import TYPE_CHECKING

from .i18n import _, ngettext
from .settings import Settings

if TYPE_CHECKING:
    from mail.dispatcher import Dispatcher, Summary

    from .backend import Backend

PROGRESS_SECONDS = 10.0  # at most one progress line this often while sending
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def add_commands(commands: argparse._SubParsersAction) -> None:
    worker = commands.add_parser(
        "worker",
        help="send the queued email",
        description=(
            "Send the queued email, forever or (--once) what is due now. Several workers may "
            "run at once, on one machine or several. SIGTERM or Ctrl+C stops a worker cleanly: "
            "what is being sent finishes, the rest goes back to the queue."
        ),
    )
    worker.add_argument("--once", action="store_true", help="send what is due now, then exit")
    worker.set_defaults(handler=cmd_worker)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from .backend import open_backend
    from .dispatching import make_dispatcher

    backend = open_backend(settings)
    dispatcher = make_dispatcher(backend, settings, None if args.once else _ProgressPrinter())
    try:
        summary = asyncio.run(_run(dispatcher, backend, settings, once=args.once))
    finally:
        backend.close()
    if summary.paused:
        print(_("Sending is paused; nothing was sent."))
    print(_summary_line(summary))
    return 0


async def _run(
    dispatcher: Dispatcher, backend: Backend, settings: Settings, *, once: bool
) -> Summary:
    """Run it, with its scheduled round (reminders, pauses); the first SIGTERM or SIGINT stops
    it cleanly, a second one at once."""
    from .dispatching import run_with_schedule

    loop = asyncio.get_running_loop()

    def stop() -> None:
        dispatcher.stop()
        for signum in SIGNALS:
            loop.remove_signal_handler(signum)

    for signum in SIGNALS:
        loop.add_signal_handler(signum, stop)
    if not once:
        print(_("Sending as {owner}; stop with Ctrl+C.").format(owner=dispatcher.owner), flush=True)
    try:
        return await run_with_schedule(
            dispatcher, backend, settings, once=once, report=_print_reminders
        )
    finally:
        for signum in SIGNALS:
            loop.remove_signal_handler(signum)


def _print_reminders(done: list[tuple[int, str, int]]) -> None:
    for survey_id, title, count in done:
        print(
            ngettext(
                "Queued {n} scheduled reminder for survey {id} (“{title}”).",
                "Queued {n} scheduled reminders for survey {id} (“{title}”).",
                count,
            ).format(n=count, id=survey_id, title=title),
            flush=True,
        )


def _summary_line(summary: Summary) -> str:
    return _("Sent {sent}, to be retried {retried}, failed {failed}.").format(
        sent=summary.sent, retried=summary.retried, failed=summary.failed
    )


class _ProgressPrinter:
    """Prints the running totals now and then while a worker runs for good."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, summary: Summary) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_SECONDS:
            self._last = now
            print(_summary_line(summary), flush=True)
