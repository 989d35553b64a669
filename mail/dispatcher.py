"""The dispatcher: leases due messages from the outbox and sends them through the SMTP pool, at
most `rate` a second over `concurrency` connections, retrying what may yet go through.

Three kinds of task share one event loop: a claimer that leases rows in batches (never while
sending is paused), `concurrency` senders that each send one message at a time, and a recorder
that writes the outcomes in as few transactions as keep up (all database work runs in threads).
Stopping finishes what is on the wire, records it, and gives back the rows never started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from store import outbox
from store.db import Database
from store.links import link_parts
from store.outbox import Failure, Outgoing, Retry
from store.sealing import open_links
from store.secrets import ServerKey, ServerKeyError
from store.timeutil import utcnow

from .transport import SendError, SmtpConfig, SmtpPool, build_email, envelope_sender

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 6 * 3600
JITTER = 0.2  # each wait is stretched or shrunk by up to this fraction, so retries spread out
SETTLE_TRIES = 5
CLAIM_TRIES = 3  # in a row, before `run(once=True)` gives up
# When the server cannot be reached, sending waits this long (doubling up to the most) before
# the next try, instead of using up every waiting message's attempts at once.
SERVER_WAIT_SECONDS = (1.0, 60.0)
# Outcomes are written in batches: up to this many, or after this long (a crash in between
# means those few are sent again: they count as in flight until written).
RECORD_BATCH = 500
RECORD_LINGER_SECONDS = 0.05


def new_owner() -> str:
    """This worker's name on its leases: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Summary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0  # outcomes not recorded: the row was cancelled or taken over meanwhile
    paused: bool = False  # `run(once=True)` found sending paused


class RateLimiter:
    """A token bucket holding one token: sends start at least 1/rate seconds apart."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        now = asyncio.get_running_loop().time()
        start = max(now, self._next)
        self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


def backoff(attempts: int, retry_seconds: float, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Seconds to wait after the `attempts`-th failed try: doubling, capped, with jitter."""
    delay = min(cap, retry_seconds * 2 ** max(attempts - 1, 0))
    return delay * random.uniform(1 - JITTER, 1 + JITTER)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        key: ServerKey,
        config: SmtpConfig,
        *,
        mail_from: str,
        rate: float,
        concurrency: int,
        max_attempts: int = 8,
        retry_seconds: float = 60.0,
        owner: str | None = None,
        batch_size: int = 500,
        lease_seconds: float = 300.0,
        poll_seconds: float = 1.0,
        progress: Callable[[Summary], None] | None = None,
    ) -> None:
        self.db, self.key, self.mail_from = db, key, mail_from
        self.config = config
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.retry_seconds = retry_seconds
        self.owner = owner or new_owner()
        self.lease_seconds = lease_seconds
        # Rows wait in memory before they are sent: no more than half a lease's worth.
        self.batch_size = max(1, min(batch_size, max(concurrency, int(rate * lease_seconds / 2))))
        self.poll_seconds = poll_seconds
        self._low_water = max(concurrency, self.batch_size // 4)  # claim more below this
        self.progress = progress
        self.summary = Summary()
        self._limiter = RateLimiter(rate)
        self._stopping = False
        self._wake = asyncio.Event()  # for the claimer: stop, or room in the queue
        self._stopped = asyncio.Event()
        self._start_afresh()

    def _start_afresh(self) -> None:
        """The state of one run."""
        self.summary = Summary()
        self._pool: SmtpPool | None = None
        self._closing = False
        self._queue: asyncio.Queue[Outgoing | None] = asyncio.Queue()
        self._unstarted: set[int] = set()  # leased here, not yet on the wire
        self._held: set[int] = set()  # leased here, outcome not yet recorded
        self._outcomes: list[tuple[str, Outgoing, object]] = []
        self._outcome_added = asyncio.Event()
        self._batch_full = asyncio.Event()
        self._recorded = asyncio.Event()
        self._recorded.set()
        self._server_wait = 0.0  # seconds: how long after the last failure to connect
        self._server_back_at = 0.0  # loop time: no send starts before it
        self._once = False

    def stop(self) -> None:
        """End the run: stop claiming, let what is on the wire finish, give back the rest.
        Call it from the event loop's thread (as signal handlers installed with the loop are).
        """
        self._stopping = True
        self._wake.set()
        self._stopped.set()

    async def run(self, once: bool = False) -> Summary:
        """Send until stopped, or (`once`) until nothing is due; returns what this run did.

        When the server cannot be reached, a `once` run ends (what it has not tried goes back
        to the queue); a lasting run holds its sends back a while, longer each time."""
        self._start_afresh()
        self._pool = SmtpPool(self.config, size=self.concurrency)
        senders = [asyncio.create_task(self._sender()) for _ in range(self.concurrency)]
        recorder = asyncio.create_task(self._recorder())
        keeper = asyncio.create_task(self._keep_leases())
        self._once = once
        try:
            await self._claim_loop(once)
        finally:
            self.stop()
            self._take_back_queue()
            for _ in senders:
                self._queue.put_nowait(None)
            await asyncio.gather(*senders, return_exceptions=True)
            self._closing = True  # every outcome is in: the recorder writes them and ends
            self._outcome_added.set()
            self._batch_full.set()
            await recorder
            keeper.cancel()
            await self._release(self._unstarted)
            await self._pool.close()
            self._stopping = False  # stopped: a later run starts afresh
            self._stopped.clear()
        return self.summary

    async def _claim_loop(self, once: bool) -> None:
        """Keep the local queue topped up. A claim takes nothing while sending is paused (the
        flag is read in the claim's own transaction); besides, the flag is looked at when a
        claim comes back empty, and every `poll_seconds` while the queue is full, so that a
        pause also hands back what is waiting here."""
        loop = asyncio.get_running_loop()
        settled = False  # (once) everything claimed so far has been sent and recorded
        looked = loop.time()
        failures = 0  # claims that failed in a row
        while not self._stopping:
            if self._queue.qsize() > self._low_water:
                if loop.time() - looked >= self.poll_seconds:
                    looked = loop.time()
                    await self._paused()
                await self._pause(self.poll_seconds)  # a sender wakes us when there is room
                continue
            try:
                rows = await asyncio.to_thread(
                    outbox.claim_due,
                    self.db,
                    owner=self.owner,
                    limit=self.batch_size - self._queue.qsize(),
                    lease_seconds=self.lease_seconds,
                )
                failures = 0
            except Exception:  # the database is away for a moment, or for good
                failures += 1
                if once and failures >= CLAIM_TRIES:
                    raise
                log.exception("claiming messages (try %d)", failures)
                await self._pause(min(60.0, self.poll_seconds * 2**failures))
                continue
            for row in rows:
                self._unstarted.add(row.id)
                self._held.add(row.id)
                self._queue.put_nowait(row)
            if rows:
                settled = False
                continue
            looked = loop.time()
            if await self._paused():
                if once:
                    self.summary.paused = True
                    return
                await self._pause(self.poll_seconds)
            elif not once:
                await self._pause(self.poll_seconds)
            elif settled:
                return
            else:
                # Nothing is due now; what is on its way may come back due (a quick retry),
                # so look once more when it has all been sent and recorded.
                await self._queue.join()
                await self._recorded.wait()
                settled = True

    async def _paused(self) -> bool:
        """Whether sending is paused; if it is, what waits here goes back to the queue."""
        if not await asyncio.to_thread(outbox.is_paused, self.db):
            return False
        await self._release(self._take_back_queue())
        return True

    async def _pause(self, seconds: float) -> None:
        self._wake.clear()
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _take_back_queue(self) -> list[int]:
        """Empty the local queue of rows not yet started; returns their ids."""
        taken = []
        while not self._queue.empty():
            row = self._queue.get_nowait()
            self._queue.task_done()
            if row is not None:
                taken.append(row.id)
        return taken

    async def _release(self, ids: set[int] | list[int]) -> None:
        ids = list(ids)
        if ids:
            await asyncio.to_thread(outbox.release, self.db, owner=self.owner, ids=ids)
            self._unstarted.difference_update(ids)
            self._held.difference_update(ids)

    async def _keep_leases(self) -> None:
        """Renew the leases of the rows held here: they run out only if this worker dies."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if self._held:
                try:
                    await asyncio.to_thread(self._extend_leases, list(self._held))
                except Exception:
                    log.exception("renewing %d leases", len(self._held))

    def _extend_leases(self, ids: list[int]) -> None:
        outbox.extend_leases(self.db, owner=self.owner, ids=ids, lease_seconds=self.lease_seconds)

    async def _sender(self) -> None:
        while True:
            row = await self._queue.get()
            try:
                if row is None:
                    return
                if self._queue.qsize() <= self._low_water:
                    self._wake.set()
                await self._limiter.wait()
                await self._until_server_back()
                if self._stopping:
                    continue  # never started: released with the others
                self._unstarted.discard(row.id)
                self._add_outcome(*await self._attempt(row))
            finally:
                self._queue.task_done()

    async def _attempt(self, row: Outgoing) -> tuple[str, Outgoing, object]:
        """Send one row: ("sent", row, None), ("retry", row, Retry) or ("failed", row, Failure)."""
        try:
            if not row.to_address:
                raise SendError("no address to send to", permanent=True)
            try:
                links = open_links(self.key, row.sealed) | link_parts(
                    self.key, row.participant_id, row.link_salt, row.link_hash
                )
                message = build_email(row, links, self.mail_from)
            except ServerKeyError as exc:  # this worker's key is wrong; another's may be right
                raise SendError(f"sealed links: {exc}", permanent=False) from exc
            except ValueError as exc:
                raise SendError(f"cannot build the email: {exc}", permanent=True) from exc
            assert self._pool is not None
            await self._pool.send(
                message, sender=envelope_sender(message), recipients=[row.to_address]
            )
        except SendError as error:
            self._note_server(error)
            return self._after_error(row, error)
        except Exception as exc:  # a bug here must not strand the row until its lease ends
            log.exception("sending message %s", row.id)
            return self._after_error(row, SendError(repr(exc), permanent=False))
        self._note_server(None)
        return "sent", row, None

    def _note_server(self, error: SendError | None) -> None:
        """After a failure to connect, hold every send back a while; a success ends that."""
        if error is None or not error.connecting:
            if error is None:
                self._server_wait = 0.0
            return
        if self._once:  # run again later: what has not been tried goes back to the queue
            log.warning("cannot reach the SMTP server (%s); stopping", error.reason)
            self.stop()
            return
        first, most = SERVER_WAIT_SECONDS
        self._server_wait = min(most, self._server_wait * 2 or first)
        self._server_back_at = asyncio.get_running_loop().time() + self._server_wait
        log.warning("cannot reach the SMTP server (%s); waiting %.0f s", error.reason,
                    self._server_wait)  # fmt: skip

    async def _until_server_back(self) -> None:
        delay = self._server_back_at - asyncio.get_running_loop().time()
        if delay > 0 and not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), delay)

    def _after_error(self, row: Outgoing, error: SendError) -> tuple[str, Outgoing, object]:
        if error.permanent or row.attempts >= self.max_attempts:
            reason = error.reason
            if not error.permanent:
                reason = f"gave up after {row.attempts} attempts: {reason}"
            return "failed", row, Failure(row.id, reason, error.undeliverable)
        wait = backoff(row.attempts, self.retry_seconds)
        return "retry", row, Retry(row.id, error.reason, utcnow() + timedelta(seconds=wait))

    def _add_outcome(self, kind: str, row: Outgoing, detail: object) -> None:
        self._outcomes.append((kind, row, detail))
        self._recorded.clear()
        self._outcome_added.set()
        if len(self._outcomes) >= RECORD_BATCH:
            self._batch_full.set()

    async def _recorder(self) -> None:
        """Write outcomes in batches: one write transaction costs about as much as many."""
        while True:
            await self._outcome_added.wait()
            self._outcome_added.clear()
            if not self._closing and len(self._outcomes) < RECORD_BATCH:
                self._batch_full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._batch_full.wait(), RECORD_LINGER_SECONDS)
            batch, self._outcomes = self._outcomes, []
            if batch:
                await self._settle(batch)
            if not self._outcomes:
                self._recorded.set()
                if self._closing:
                    return

    async def _settle(self, batch: list[tuple[str, Outgoing, object]]) -> None:
        sent = [row.id for kind, row, _ in batch if kind == "sent"]
        retries = [detail for kind, _, detail in batch if isinstance(detail, Retry)]
        failures = [detail for kind, _, detail in batch if isinstance(detail, Failure)]
        for attempt in range(SETTLE_TRIES):
            try:
                done = await asyncio.to_thread(
                    outbox.settle,
                    self.db,
                    owner=self.owner,
                    sent=sent,
                    retries=retries,
                    failures=failures,
                )
                break
            except Exception:
                log.exception("recording %d outcomes (try %d)", len(batch), attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        else:
            # Given up on: their leases run out and another try sends them again.
            self._held.difference_update(row.id for _, row, _ in batch)
            return
        self._held.difference_update(row.id for _, row, _ in batch)
        summary = self.summary
        summary.sent += sum(1 for row_id in sent if row_id in done)
        summary.retried += sum(1 for retry in retries if retry.message_id in done)
        summary.failed += sum(1 for failure in failures if failure.message_id in done)
        summary.lost += len(batch) - len(done)
        if self.progress is not None:
            self.progress(summary)
