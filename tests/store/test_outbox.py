"""The outbox's database side on both engines: claims and leases, outcomes that only the lease
holder may record, pausing, and what staff see and do in the dispatch queue."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from store import outbox
from store.actors import Actor
from store.errors import NotFound, PermissionDenied
from store.models import AuditEvent, Invitation, Message, Participant, SendBatch, Survey
from store.outbox import Failure, Retry
from store.privacy import erase_participant
from store.roles import Role
from store.sealing import UNSUBSCRIBE
from tests.mail.outbox_rows import HEADERS, add_messages, add_person, message

ADMIN = Actor.operator()
EDITOR = Actor(id=None, username="redaktor", role=Role.editor)
ANALYST = Actor(id=None, username="analytiker", role=Role.analyst)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def set_fields(db, message_id: int, **values) -> None:
    with db.write() as session:
        session.execute(update(Message).where(col(Message.id) == message_id).values(**values))


def actions(db) -> list[str]:
    with db.read() as session:
        return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))))


# Claiming and leases


def test_claim_leases_due_rows_by_priority_then_age(db, key):
    ids = add_messages(db, key, 5)
    set_fields(db, ids[3], priority=5)
    set_fields(db, ids[4], next_attempt_at=later(60))  # not due yet
    claimed = outbox.claim_due(db, owner="a", limit=3, lease_seconds=120, now=NOW)
    assert [row.id for row in claimed] == [ids[3], ids[0], ids[1]]
    first = claimed[1]
    assert first.attempts == 1
    assert first.headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert first.sealed and first.message_id and first.kind == "invitation"
    row = message(db, ids[0])
    assert (row.status, row.lease_owner, row.attempts) == ("sending", "a", 1)
    assert row.lease_expires_at == later(120)
    rest = outbox.claim_due(db, owner="b", limit=10, now=NOW)
    assert [row.id for row in rest] == [ids[2]]
    assert [row.id for row in outbox.claim_due(db, owner="b", limit=10, now=later(61))] == [ids[4]]


def test_an_expired_lease_is_taken_over_and_the_old_holder_can_no_longer_record(db, key):
    [message_id] = add_messages(db, key, 1)
    [mine] = outbox.claim_due(db, owner="dead", limit=5, lease_seconds=30, now=NOW)
    assert outbox.claim_due(db, owner="new", limit=5, now=later(29)) == []
    [theirs] = outbox.claim_due(db, owner="new", limit=5, lease_seconds=30, now=later(31))
    assert (mine.id, theirs.id, theirs.attempts) == (message_id, message_id, 2)
    assert not outbox.mark_sent(db, message_id=message_id, owner="dead", sent_at=later(32))
    assert not outbox.mark_retry(
        db, message_id=message_id, owner="dead", error="x", next_attempt_at=later(99)
    )
    assert outbox.mark_sent(db, message_id=message_id, owner="new", sent_at=later(33))
    row = message(db, message_id)
    assert (row.status, row.sent_at, row.sealed, row.lease_owner) == (
        "sent",
        later(33),
        None,
        None,
    )


def test_a_live_worker_renews_its_lease(db, key):
    [message_id] = add_messages(db, key, 1)
    outbox.claim_due(db, owner="a", limit=1, lease_seconds=30, now=NOW)
    assert outbox.extend_leases(db, owner="a", ids=[message_id], lease_seconds=30, now=later(25))
    assert outbox.claim_due(db, owner="b", limit=1, now=later(40)) == []
    assert message(db, message_id).lease_expires_at == later(55)
    assert outbox.extend_leases(db, owner="b", ids=[message_id], lease_seconds=30) == 0


def test_release_gives_back_unsent_rows_without_counting_the_attempt(db, key):
    ids = add_messages(db, key, 4)
    outbox.claim_due(db, owner="a", limit=3, now=NOW)
    outbox.claim_due(db, owner="b", limit=1, now=NOW)
    assert outbox.release(db, owner="a", ids=[ids[0]]) == 1
    assert outbox.release(db, owner="a") == 2
    assert outbox.release(db, owner="a") == 0
    for message_id in ids[:3]:
        row = message(db, message_id)
        assert (row.status, row.attempts, row.lease_owner) == ("queued", 0, None)
    assert message(db, ids[3]).status == "sending"  # b's is b's


def test_concurrent_claims_never_share_a_row(db, key):
    ids = add_messages(db, key, 120)
    claimed: dict[str, list[int]] = {}

    def worker(name: str) -> None:
        mine = claimed.setdefault(name, [])
        while rows := outbox.claim_due(db, owner=name, limit=7):
            mine.extend(row.id for row in rows)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [message_id for rows in claimed.values() for message_id in rows]
    assert sorted(every) == sorted(ids)
    assert len(every) == len(set(every))


# Outcomes


def test_retry_puts_it_back_with_the_error_and_its_time(db, key):
    [message_id] = add_messages(db, key, 1)
    outbox.claim_due(db, owner="a", limit=1, now=NOW)
    assert outbox.mark_retry(
        db, message_id=message_id, owner="a", error="451 later", next_attempt_at=later(60)
    )
    row = message(db, message_id)
    assert (row.status, row.last_error, row.next_attempt_at) == ("queued", "451 later", later(60))
    assert (row.lease_owner, row.lease_expires_at, row.attempts) == (None, None, 1)
    assert row.sealed  # still needed for the next try
    assert outbox.claim_due(db, owner="a", limit=1, now=later(59)) == []
    assert outbox.claim_due(db, owner="a", limit=1, now=later(60))[0].attempts == 2


def test_failure_at_rcpt_marks_the_participant_undeliverable(db, key):
    person = add_person(db, "borte@example.no")
    [message_id] = add_messages(db, key, 1, participant_id=person, to_address="borte@example.no")
    outbox.claim_due(db, owner="a", limit=1)
    assert outbox.mark_failed(
        db, message_id=message_id, owner="a", error="RCPT: 550 no such user", undeliverable=True
    )
    assert message(db, message_id).status == "failed"
    with db.read() as session:
        participant = session.get_one(Participant, person)
    assert participant.undeliverable_at is not None
    assert participant.undeliverable_reason == "RCPT: 550 no such user"
    assert "participant.undeliverable" in actions(db)


def test_a_row_cancelled_while_leased_stays_cancelled(db, key):
    person = add_person(db, "slett.meg@example.no")
    ids = add_messages(db, key, 3, participant_id=person, to_address="slett.meg@example.no")
    outbox.claim_due(db, owner="a", limit=3)
    erase_participant(db, actor=ADMIN, participant_id=person)
    done = outbox.settle(
        db,
        owner="a",
        sent=[ids[0]],
        retries=[Retry(ids[1], "451", later(5))],
        failures=[Failure(ids[2], "550", undeliverable=True)],
    )
    assert done == set()
    assert outbox.release(db, owner="a") == 0
    assert {message(db, message_id).status for message_id in ids} == {"cancelled"}
    assert outbox.claim_due(db, owner="b", limit=10, now=later(10**6)) == []


def test_sending_an_invitation_stamps_the_invitation(db, key):
    person = add_person(db, "ola@example.no")
    with db.write() as session:
        survey = Survey(title="Klima i Bærum")
        session.add(survey)
        session.flush()
        session.add(Invitation(survey_id=survey.id, participant_id=person, token_hash="h"))
        survey_id = survey.id
    [message_id] = add_messages(db, key, 1, participant_id=person, survey_id=survey_id)
    outbox.claim_due(db, owner="a", limit=1)
    assert outbox.mark_sent(db, message_id=message_id, owner="a", sent_at=NOW)
    with db.read() as session:
        assert session.exec(select(Invitation.sent_at)).one() == NOW


# Pausing


def test_pausing_stops_every_claim_until_resumed(db, key):
    add_messages(db, key, 2)
    assert not outbox.is_paused(db)
    outbox.set_paused(db, actor=EDITOR, paused=True)
    assert outbox.is_paused(db)
    assert outbox.claim_due(db, owner="a", limit=5) == []
    outbox.set_paused(db, actor=ADMIN, paused=False)
    assert len(outbox.claim_due(db, owner="a", limit=5)) == 2
    assert actions(db) == ["sending.paused", "sending.resumed"]
    with pytest.raises(PermissionDenied):
        outbox.set_paused(db, actor=ANALYST, paused=True)


# The dispatch queue, as staff see it


def test_counts_pages_and_one_message(db, key):
    with db.write() as session:
        survey = Survey(title="Klima i Bærum")
        session.add(survey)
        session.flush()
        survey_id = survey.id
    ids = add_messages(db, key, 3, survey_id=survey_id)
    add_messages(db, key, 1, start=10, kind="confirmation")
    set_fields(db, ids[0], status="sent")
    counts = outbox.queue_counts(db, actor=EDITOR)
    assert {(c.survey_title, c.kind, c.status, c.count) for c in counts} == {
        ("Klima i Bærum", "invitation", "queued", 2),
        ("Klima i Bærum", "invitation", "sent", 1),
        (None, "confirmation", "queued", 1),
    }
    page = outbox.message_page(db, actor=EDITOR, status="queued", survey_id=survey_id)
    assert [row.id for row in page] == [ids[2], ids[1]]
    assert [row.id for row in outbox.message_page(db, actor=ADMIN, offset=1, limit=2)] == [
        ids[2],
        ids[1],
    ]
    view = outbox.get_message(db, actor=EDITOR, message_id=ids[1])
    assert view.headers == HEADERS
    assert "[[link]]" in view.text and "[[unsubscribe]]" in (view.html or "")
    assert view.row.to_address == "deltaker1@example.no"
    with pytest.raises(NotFound):
        outbox.get_message(db, actor=EDITOR, message_id=9999)
    for call in (outbox.queue_counts, outbox.message_page):
        with pytest.raises(PermissionDenied):
            call(db, actor=ANALYST)


def test_retry_failed_skips_refused_addresses_and_erased_people(db, key):
    refused = add_person(db, "finnes.ikke@example.no")
    erased = add_person(db, "glemt.person@example.no", name="Glemt Person")
    fine = add_messages(db, key, 2)
    to_refused = add_messages(db, key, 1, start=5, participant_id=refused)
    to_erased = add_messages(db, key, 1, start=6, participant_id=erased)
    for message_id in fine + to_refused + to_erased:
        set_fields(db, message_id, status="failed", attempts=8, last_error="gave up")
    with db.write() as session:
        person = session.get_one(Participant, refused)
        person.undeliverable_at = NOW
        session.add(person)
        session.execute(
            update(Participant).where(col(Participant.id) == erased).values(status="erased")
        )
    assert outbox.retry_failed(db, actor=EDITOR) == 2
    for message_id in fine:
        row = message(db, message_id)
        assert (row.status, row.attempts, row.last_error) == ("queued", 0, None)
    assert message(db, to_refused[0]).status == "failed"
    assert message(db, to_erased[0]).status == "failed"
    assert "outbox.retried" in actions(db)


def test_cancel_queued_leaves_what_is_on_the_wire(db, key):
    ids = add_messages(db, key, 3)
    outbox.claim_due(db, owner="a", limit=1)
    assert outbox.cancel_queued(db, actor=EDITOR) == 2
    assert [message(db, i).status for i in ids] == ["sending", "cancelled", "cancelled"]
    assert message(db, ids[1]).sealed is None
    assert outbox.mark_sent(db, message_id=ids[0], owner="a", sent_at=NOW)
    assert "outbox.cancelled" in actions(db)


def test_a_test_message_goes_first_and_each_is_new(db, key):
    add_messages(db, key, 2)
    first = outbox.queue_test_message(
        db, key, actor=EDITOR, to_address="it@baerum.kommune.no", mail_from="Panel <p@baerum.test>",
        text="Virker e-posten?",
    )  # fmt: skip
    second = outbox.queue_test_message(
        db,
        key,
        actor=EDITOR,
        to_address="it@baerum.kommune.no",
        mail_from="p@baerum.test",
        text="2",
    )
    assert first != second
    claimed = outbox.claim_due(db, owner="a", limit=1)
    assert [row.id for row in claimed] == [first]
    assert claimed[0].kind == "test" and claimed[0].headers["From"] == "Panel <p@baerum.test>"
    assert claimed[0].message_id.endswith("@baerum.test>")
    assert actions(db).count("outbox.test_queued") == 2
    with pytest.raises(PermissionDenied):
        outbox.queue_test_message(
            db, key, actor=ANALYST, to_address="it@baerum.kommune.no", mail_from="p@b.no", text="x"
        )


def test_progress_of_a_batch_and_the_recent_rate(db, key):
    with db.write() as session:
        batch = SendBatch(kind="invitation", size=4)
        session.add(batch)
        session.flush()
        batch_id = batch.id
    ids = add_messages(db, key, 4, batch_id=batch_id)
    add_messages(db, key, 2, start=10)
    assert outbox.send_progress(db, actor=EDITOR, batch_id=batch_id) == (0, 4)
    set_fields(db, ids[0], status="sent", sent_at=NOW - timedelta(seconds=10))
    set_fields(db, ids[1], status="sent", sent_at=NOW - timedelta(seconds=20))
    set_fields(db, ids[2], status="failed")
    assert outbox.send_progress(db, actor=EDITOR, batch_id=batch_id) == (3, 4)
    assert outbox.recent_rate(db, seconds=60, now=NOW) == pytest.approx(2 / 60)
    assert outbox.recent_rate(db, seconds=15, now=NOW) == pytest.approx(1 / 15)
