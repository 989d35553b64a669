"""A resident's own data: asking for a link by email, the page of everything held, the JSON
download, and erasure."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from store.models import AuditEvent, Message, Participant
from store.sealing import LINK, open_links
from store.signup import Purpose, resident_token
from store.timeutil import utcnow
from tests.web.conftest import BASE, csrf_of


async def ask(client, email: str):
    page = await client.get("/mine-data")
    return await client.post("/mine-data", data={"email": email, "csrf": csrf_of(page)})


def access_messages(world) -> list[Message]:
    with world.db.read() as session:
        return list(session.exec(select(Message).where(Message.kind == "access")))


async def link_for(client, world, email: str) -> str:
    done = await ask(client, email)
    assert done.status_code == 303 and done.headers["location"] == "/mine-data?sendt=1"
    message = access_messages(world)[-1]
    return open_links(world.key, message.sealed)[LINK].removeprefix(BASE)


async def test_a_member_gets_a_link_and_a_stranger_gets_nothing_with_the_same_answer(client, world):
    stranger = await ask(client, "nobody@example.no")
    assert stranger.status_code == 303 and stranger.headers["location"] == "/mine-data?sendt=1"
    assert access_messages(world) == []
    path = await link_for(client, world, "P1@example.no")
    (message,) = access_messages(world)
    assert message.to_address == "p1@example.no" and LINK in message.body_text
    assert path.startswith(f"/mine-data/{world.people['p1@example.no']}.")
    sent = await client.get("/mine-data?sendt=1")
    assert "24 timer" in sent.text


async def test_a_wrong_address_is_shown_beside_the_field(client, world):
    page = await ask(client, "not an address")
    assert page.status_code == 400
    assert 'aria-invalid="true"' in page.text and 'value="not an address"' in page.text
    assert "<title>Feil:" in page.text
    assert access_messages(world) == []


async def test_the_page_shows_everything_held_and_the_viewing_is_audited(client, world):
    member = world.people["p2@example.no"]
    path = await link_for(client, world, "p2@example.no")
    page = await client.get(path)
    assert page.status_code == 200
    for shown in ("Person 2", "p2@example.no", "Kvinne", "1980", "Bekkestua", "Klima i Bærum"):
        assert shown in page.text
    with world.db.read() as session:
        viewed = session.exec(
            select(AuditEvent).where(AuditEvent.action == "participant.access_viewed")
        ).one()
    assert viewed.target_id == member and viewed.actor_name == f"resident:{member}"


async def test_the_download_is_json_of_the_same(client, world):
    path = await link_for(client, world, "p1@example.no")
    download = await client.get(f"{path}/data.json")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/json")
    assert "attachment" in download.headers["content-disposition"]
    data = json.loads(download.text)
    assert data["participant"]["email"] == "p1@example.no"
    assert data["invitations"][0]["survey_title"] == "Klima i Bærum"
    assert [m["kind"] for m in data["messages"]] == ["invitation", "access"]
    assert data["messages"][0]["subject"] == "Klima"  # a send's email, as its letter says


async def test_erasing_needs_the_tick_and_then_the_link_is_dead(client, world):
    member = world.people["p1@example.no"]
    path = await link_for(client, world, "p1@example.no")
    page = await client.get(path)
    refused = await client.post(path, data={"csrf": csrf_of(page)})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.text
    with world.db.read() as session:
        assert session.get(Participant, member).status == "active"
    forged = await client.post(path, data={"confirm": "yes"})
    assert forged.status_code == 403
    done = await client.post(path, data={"confirm": "yes", "csrf": csrf_of(page)})
    assert done.status_code == 200 and "Dataene dine er slettet" in done.text
    with world.db.read() as session:
        person = session.get(Participant, member)
        assert person.status == "erased" and person.email is None and person.name is None
    assert (await client.get(path)).status_code == 404
    (scrubbed,) = access_messages(world)
    assert scrubbed.to_address is None and scrubbed.status == "cancelled"
    again = await ask(client, "p1@example.no")  # the address is no longer known
    assert again.status_code == 303 and len(access_messages(world)) == 1


async def test_old_altered_or_misused_links_open_nothing(client, world):
    member = world.people["p0@example.no"]
    old = resident_token(
        world.key, Purpose.access, member, "p0@example.no", utcnow() - timedelta(seconds=1)
    )
    assert (await client.get(f"/mine-data/{old}")).status_code == 410
    confirm = resident_token(
        world.key, Purpose.confirm, member, "p0@example.no", utcnow() + timedelta(days=1)
    )
    for token in (confirm, "1.2.3", "x" * 80):
        assert (await client.get(f"/mine-data/{token}")).status_code == 404
        assert (await client.get(f"/mine-data/{token}/data.json")).status_code == 404


async def test_the_page_says_where_they_stand_with_workshops_in_their_language(client, world):
    from store.rsvp import answer_call, answer_invite
    from tests.store.test_events import MAIL
    from tests.web.test_rsvp import make_workshop

    ws = make_workshop(world)
    answer_invite(world.db, world.key, ws.tokens["p2@example.no"], session_id=ws.second, mail=MAIL)
    answer_call(world.db, world.key, ws.calls["p2@example.no"], yes=True)
    page = await client.get(await link_for(client, world, "p2@example.no"))
    # Drawn from the volunteers of one event; answered the call of the other.
    assert "Min side – verksted: du meldte deg som frivillig; du har plass</li>" in page.text
    assert "Min side – verksted: du meldte deg som frivillig</li>" in page.text
    assert "accepted" not in page.text
