"""Unsubscribing: the one-click POST of RFC 8058, and the page with its three choices."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from store.models import AuditEvent, Message, Participant
from store.residents import end_pauses
from store.timeutil import utcnow
from tests.web.conftest import csrf_of

ONE_CLICK = {
    "content": b"List-Unsubscribe=One-Click",
    "headers": {"content-type": "application/x-www-form-urlencoded"},
}


def person(world, email: str) -> Participant:
    with world.db.read() as session:
        return session.get(Participant, world.people[email])


def queued_for(world, email: str) -> list[str]:
    with world.db.read() as session:
        rows = session.exec(
            select(Message).where(Message.participant_id == world.people[email])
        ).all()
        return [row.status for row in rows]


async def test_one_click_unsubscribe_needs_no_form_and_cancels_queued_email(client, world):
    path = world.unsubscribe_path("p1@example.no")
    assert queued_for(world, "p1@example.no") == ["queued"]
    done = await client.post(path, **ONE_CLICK)
    assert done.status_code == 200
    assert person(world, "p1@example.no").status == "unsubscribed"
    assert queued_for(world, "p1@example.no") == ["cancelled"]
    assert person(world, "p2@example.no").status == "active"  # nobody else
    with world.db.read() as session:
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "participant.leave")
        ).one()
    assert audit.actor_name == f"resident:{world.people['p1@example.no']}"
    page = await client.get(path)
    assert page.status_code == 200 and "ikke lenger med i panelet" in page.text


async def test_a_wrong_code_opens_nothing(client, world):
    person_id = world.people["p1@example.no"]
    for path in (f"/u/{person_id}/{'0' * 32}", f"/u/{person_id + 1}/x", "/u/abc/def"):
        assert (await client.get(path)).status_code == 404
        refused = await client.post(path, **ONE_CLICK)
        assert refused.status_code == 404
    assert person(world, "p1@example.no").status == "active"


async def test_pause_for_three_months_then_back_again(client, world):
    path = world.unsubscribe_path("p2@example.no")
    page = await client.get(path)
    assert page.status_code == 200 and "Ta pause i tre måneder" in page.text
    nothing = await client.post(path, data={"csrf": csrf_of(page)})
    assert nothing.status_code == 400 and 'href="#choice-pause"' in nothing.text
    paused = await client.post(path, data={"csrf": csrf_of(page), "choice": "pause"})
    assert paused.status_code == 200 and "tre månedene" in paused.text
    member = person(world, "p2@example.no")
    assert member.status == "paused"
    assert timedelta(days=90) < member.paused_until - utcnow() < timedelta(days=92)
    assert end_pauses(world.db) == 0
    with world.db.write() as session:
        member = session.get(Participant, member.id)
        member.paused_until = utcnow() - timedelta(minutes=1)
        session.add(member)
    assert end_pauses(world.db) == 1 and person(world, "p2@example.no").status == "active"


async def test_leave_and_erase_asks_for_a_tick_then_erases(client, world):
    path = world.unsubscribe_path("p2@example.no")
    page = await client.get(path)
    unticked = await client.post(path, data={"csrf": csrf_of(page), "choice": "erase"})
    assert unticked.status_code == 400 and 'aria-invalid="true"' in unticked.text
    assert person(world, "p2@example.no").status == "active"
    erased = await client.post(
        path, data={"csrf": csrf_of(page), "choice": "erase", "confirm": "yes"}
    )
    assert erased.status_code == 200 and "slettet" in erased.text
    gone = person(world, "p2@example.no")
    assert (gone.status, gone.name, gone.email) == ("erased", None, None)
    assert (await client.get(path)).status_code == 404  # the link now opens nothing
