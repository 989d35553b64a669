"""The dispatcher against a real SMTP server, on both engines: what arrives, retries and their
backoff, permanent failures, the rate limit, pausing, cancelling and stopping."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from mail.dispatcher import JITTER, MAX_BACKOFF_SECONDS, backoff, new_owner
from store import outbox
from store.actors import Actor
from store.models import Message, Participant
from store.timeutil import utcnow
from tests.mail.outbox_rows import add_messages, add_person, links_for, message

EDITOR = Actor.operator()


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


def statuses(db) -> dict[str, int]:
    with db.read() as session:
        rows = session.exec(select(Message.status)).all()
    return {status: rows.count(status) for status in set(rows)}


def make_due(db) -> None:
    with db.write() as session:
        session.execute(update(Message).values(next_attempt_at=None))


async def test_everything_due_is_sent_once_with_its_links(db, key, smtp, dispatcher):
    ids = add_messages(db, key, 30)
    with db.read() as session:
        stored = {m.id: m for m in session.exec(select(Message))}
    summary = await dispatcher(concurrency=3).run(once=True)
    assert (summary.sent, summary.retried, summary.failed) == (30, 0, 0)
    assert sorted(smtp.handler.message_ids()) == sorted(stored[i].message_id for i in ids)
    for received in smtp.received:
        raw = received.raw.decode("ascii")
        assert "[[" not in raw
        token = received.message_id.strip("<>").split("@")[0]
        assert received.message["List-Unsubscribe"] == f"<{links_for(token)['[[unsubscribe]]']}>"
        assert links_for(token)["[[link]]"] in received.message.get_body(("plain",)).get_content()
    for message_id in ids:
        row = message(db, message_id)
        assert (row.status, row.sealed, row.attempts, row.lease_owner) == ("sent", None, 1, None)
        assert row.sent_at is not None
    assert await dispatcher().run(once=True) == type(summary)()  # nothing left to do


async def test_a_4xx_is_retried_later_with_growing_waits(db, key, smtp, dispatcher):
    [message_id] = add_messages(db, key, 1)
    smtp.fail("DATA", 451, times=2)
    send = dispatcher(retry_seconds=30, max_attempts=5)
    before = utcnow()
    summary = await send.run(once=True)
    assert (summary.sent, summary.retried) == (0, 1)
    row = message(db, message_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert "451" in (row.last_error or "")
    assert row.sealed is not None
    wait = (row.next_attempt_at - before).total_seconds()
    assert 30 * (1 - JITTER) <= wait <= 30 * (1 + JITTER) + 5
    assert (await send.run(once=True)).sent == 0  # not due yet
    make_due(db)
    before = utcnow()
    await send.run(once=True)
    row = message(db, message_id)
    wait = (row.next_attempt_at - before).total_seconds()
    assert (row.status, row.attempts) == ("queued", 2)
    assert 60 * (1 - JITTER) <= wait <= 60 * (1 + JITTER) + 5
    make_due(db)
    assert (await send.run(once=True)).sent == 1
    assert len(smtp.received) == 1
    assert (message(db, message_id).status, message(db, message_id).attempts) == ("sent", 3)


def test_backoff_doubles_is_capped_and_jittered():
    for attempts, base in ((1, 60), (2, 120), (3, 240), (8, 7680)):
        waits = [backoff(attempts, 60) for _ in range(200)]
        assert min(waits) >= base * (1 - JITTER) and max(waits) <= base * (1 + JITTER)
        assert len(set(waits)) > 1
    assert backoff(40, 60) <= MAX_BACKOFF_SECONDS * (1 + JITTER)


async def test_giving_up_after_the_last_attempt(db, key, smtp, dispatcher):
    [message_id] = add_messages(db, key, 1)
    smtp.fail("RCPT", 450, times=10)
    summary = await dispatcher(max_attempts=3, retry_seconds=0).run(once=True)
    assert (summary.retried, summary.failed) == (2, 1)
    row = message(db, message_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("gave up after 3 attempts")


@pytest.mark.parametrize("stage", ["MAIL", "DATA"])
async def test_a_5xx_fails_at_once_and_is_never_retried(db, key, smtp, dispatcher, stage):
    person = add_person(db, "kari@example.no")
    [message_id] = add_messages(db, key, 1, participant_id=person, to_address="kari@example.no")
    smtp.fail(stage, 554)
    summary = await dispatcher(max_attempts=5).run(once=True)
    assert (summary.sent, summary.retried, summary.failed) == (0, 0, 1)
    row = message(db, message_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.sealed is not None  # kept, should staff choose to retry it
    assert (await dispatcher().run(once=True)).sent == 0
    assert smtp.received == []
    with db.read() as session:
        assert session.get_one(Participant, person).undeliverable_at is None


async def test_a_5xx_at_rcpt_marks_the_address_undeliverable(db, key, smtp, dispatcher):
    person = add_person(db, "finnes.ikke@example.no")
    [refused] = add_messages(db, key, 1, participant_id=person, to_address="finnes.ikke@example.no")
    [fine] = add_messages(db, key, 1, start=1)
    smtp.fail("RCPT", 550, to="finnes.ikke@example.no")
    summary = await dispatcher().run(once=True)
    assert (summary.sent, summary.failed) == (1, 1)
    assert message(db, refused).status == "failed" and message(db, fine).status == "sent"
    with db.read() as session:
        participant = session.get_one(Participant, person)
    assert participant.undeliverable_at is not None
    assert "550" in participant.undeliverable_reason
    assert outbox.retry_failed(db, actor=EDITOR) == 0  # not to that address again


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
async def test_a_dropped_connection_is_retried(db, key, smtp, dispatcher, stage):
    ids = add_messages(db, key, 5)
    smtp.drop(stage)
    summary = await dispatcher(retry_seconds=0).run(once=True)
    assert (summary.sent, summary.retried, summary.failed) == (5, 1, 0)
    assert len(smtp.received) == len(set(smtp.handler.message_ids())) == 5
    assert sum(message(db, i).attempts for i in ids) == 6


async def test_connections_are_reused_and_recycled(db, key, smtp, dispatcher):
    add_messages(db, key, 250)
    await dispatcher(concurrency=1).run(once=True)
    assert smtp.handler.connections == 3
    assert [sum(1 for r in smtp.received if r.connection == n) for n in range(3)] == [100, 100, 50]


async def test_the_rate_limit_spaces_the_sends(db, key, smtp, dispatcher):
    count, rate = 11, 20.0
    add_messages(db, key, count)
    started = time.monotonic()
    summary = await dispatcher(rate=rate, concurrency=4).run(once=True)
    assert summary.sent == count
    assert time.monotonic() - started >= (count - 1) / rate


async def test_priority_goes_first(db, key, smtp, dispatcher):
    ids = add_messages(db, key, 5)
    with db.write() as session:
        session.execute(update(Message).where(col(Message.id) == ids[4]).values(priority=9))
    await dispatcher(concurrency=1).run(once=True)
    assert smtp.handler.message_ids()[0] == message(db, ids[4]).message_id


async def test_nothing_goes_while_paused(db, key, smtp, dispatcher):
    add_messages(db, key, 3)
    outbox.set_paused(db, actor=EDITOR, paused=True)
    summary = await dispatcher().run(once=True)
    assert summary.paused and summary.sent == 0
    assert statuses(db) == {"queued": 3}
    outbox.set_paused(db, actor=EDITOR, paused=False)
    assert (await dispatcher().run(once=True)).sent == 3


async def test_pausing_a_running_worker_gives_back_what_it_has_not_started(
    db, key, smtp, dispatcher
):
    add_messages(db, key, 40)
    smtp.delay = 0.05
    send = dispatcher(concurrency=2, rate=1000, batch_size=20)
    running = asyncio.create_task(send.run())
    await until(lambda: len(smtp.received) >= 2)
    outbox.set_paused(db, actor=EDITOR, paused=True)
    await until(lambda: statuses(db).get("sending", 0) == 0)
    settled = len(smtp.received)
    await asyncio.sleep(0.3)
    assert len(smtp.received) == settled < 40
    assert statuses(db) == {"sent": settled, "queued": 40 - settled}
    outbox.set_paused(db, actor=EDITOR, paused=False)
    await until(lambda: statuses(db) == {"sent": 40})
    send.stop()
    await running
    assert len(set(smtp.handler.message_ids())) == len(smtp.received) == 40


async def test_a_cancelled_message_is_never_sent(db, key, smtp, dispatcher):
    add_messages(db, key, 3)
    assert outbox.cancel_queued(db, actor=EDITOR) == 3
    assert (await dispatcher().run(once=True)).sent == 0
    assert smtp.received == []


async def test_cancelled_while_on_the_wire_it_stays_cancelled(db, key, smtp, dispatcher):
    [message_id] = add_messages(db, key, 1)
    smtp.delay = 0.5
    running = asyncio.create_task(dispatcher().run(once=True))
    await until(lambda: message(db, message_id).status == "sending")
    with db.write() as session:  # as erasure does
        session.execute(
            update(Message)
            .where(col(Message.id) == message_id)
            .values(status="cancelled", lease_owner=None, lease_expires_at=None, sealed=None)
        )
    summary = await running
    assert (summary.sent, summary.lost) == (0, 1)
    assert message(db, message_id).status == "cancelled"


async def test_stop_finishes_what_is_on_the_wire_and_gives_back_the_rest(db, key, smtp, dispatcher):
    ids = add_messages(db, key, 30)
    smtp.delay = 0.1
    seen = []
    send = dispatcher(concurrency=2, progress=lambda summary: seen.append(summary.sent))
    running = asyncio.create_task(send.run())
    await until(lambda: len(smtp.received) >= 3)
    send.stop()
    summary = await running
    delivered = len(smtp.received)
    assert summary.sent == delivered < 30
    assert statuses(db) == {"sent": delivered, "queued": 30 - delivered}
    for message_id in ids:
        row = message(db, message_id)
        assert row.lease_owner is None
        assert row.attempts == (1 if row.status == "sent" else 0)
    assert seen == sorted(seen) and seen[-1] == delivered


async def test_a_message_without_its_link_fails_and_is_not_sent(db, key, smtp, dispatcher):
    [message_id] = add_messages(db, key, 1, sealed=None)
    summary = await dispatcher().run(once=True)
    assert summary.failed == 1
    assert "[[link]]" in (message(db, message_id).last_error or "")
    assert smtp.received == []


async def test_a_test_message_is_sent(db, key, smtp, dispatcher):
    message_id = outbox.queue_test_message(
        db, key, actor=EDITOR, to_address="it@baerum.kommune.no",
        mail_from="Innbyggerpanelet i Bærum <panel@baerum.kommune.no>", text="Virker det? Æøå.",
    )  # fmt: skip
    assert (await dispatcher().run(once=True)).sent == 1
    [received] = smtp.received
    assert received.rcpt_tos == ["it@baerum.kommune.no"]
    assert received.message["From"].addresses[0].display_name == "Innbyggerpanelet i Bærum"
    assert received.message.get_content().strip() == "Virker det? Æøå."
    assert message(db, message_id).status == "sent"


def test_owner_names_are_unique_and_say_where():
    first, second = new_owner(), new_owner()
    assert first != second
    assert first.split(":")[1] == second.split(":")[1]  # the same process


async def test_a_slow_run_keeps_its_leases(db, key, smtp, dispatcher):
    add_messages(db, key, 8)
    smtp.delay = 0.1
    running = asyncio.create_task(dispatcher(concurrency=1, lease_seconds=0.3).run(once=True))
    await until(lambda: statuses(db).get("queued", 0) == 0)
    stolen = []
    while not running.done():
        stolen += await asyncio.to_thread(outbox.claim_due, db, owner="thief", limit=10)
        await asyncio.sleep(0.02)
    assert stolen == []
    assert (await running).sent == 8


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_without_a_server_a_run_once_stops_and_spends_few_attempts(
    db, key, smtp_config, dispatcher
):
    ids = add_messages(db, key, 20)
    config = replace(smtp_config, port=closed_port())
    summary = await dispatcher(config=config, concurrency=2, retry_seconds=60).run(once=True)
    assert summary.sent == 0 and 1 <= summary.retried <= 2
    assert statuses(db) == {"queued": 20}
    assert sum(message(db, i).attempts for i in ids) == summary.retried


async def test_without_a_server_a_lasting_run_holds_back(db, key, smtp_config, dispatcher):
    ids = add_messages(db, key, 20)
    config = replace(smtp_config, port=closed_port())
    send = dispatcher(config=config, concurrency=2, retry_seconds=0, max_attempts=50)
    running = asyncio.create_task(send.run())
    await asyncio.sleep(1.5)  # tries at once and after 1 s; the next wait is 2 s
    send.stop()
    await running
    assert sum(message(db, i).attempts for i in ids) <= 4
    assert statuses(db) == {"queued": 20}


async def test_an_expired_lease_is_taken_over(db, key, smtp, dispatcher):
    [message_id] = add_messages(db, key, 1)
    outbox.claim_due(db, owner="dead-worker", limit=1, lease_seconds=0.01)
    await asyncio.sleep(0.05)
    assert (await dispatcher().run(once=True)).sent == 1
    row = message(db, message_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert row.sent_at > utcnow() - timedelta(minutes=1)
