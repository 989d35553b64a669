"""Joining the panel: the form, double opt-in through the outbox, a member signing up again,
expiry of unconfirmed sign-ups, and the limits on email per address."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from sqlmodel import func, select

from store.models import AuditEvent, Interest, Message, Participant, ParticipantInterest
from store.recruitment import create_channel
from store.sealing import LINK, open_links
from store.signup import (
    CONFIRM_DAYS,
    EMAILS_PER_DAY,
    Purpose,
    expire_signups,
    resident_token,
)
from store.timeutil import utcnow
from tests.web.conftest import ADMIN, BASE, csrf_of

FORM = {
    "name": "Kari  Nordmann",
    "email": "Kari@Example.no",
    "gender": "female",
    "birth_year": "1990",
    "district": "Høvik",
    "interests": [],
    "source": "",
    "consent": "yes",
}


@pytest.fixture
def channel(world):
    with world.db.write() as session:
        session.add(Interest(name="Klima"))
        session.add(Interest(name="Skole"))
    create_channel(world.db, actor=ADMIN, label="Plakat på Høvik")


async def post_signup(client, **changes):
    page = await client.get("/bli-med")
    form = {**FORM, **changes, "csrf": csrf_of(page)}
    return await client.post("/bli-med", data={k: v for k, v in form.items() if v is not None})


def find(world, email_key: str) -> Participant | None:
    with world.db.read() as session:
        return session.exec(select(Participant).where(Participant.email_key == email_key)).first()


def messages_to(world, participant_id: int, kind: str | None = None) -> list[Message]:
    with world.db.read() as session:
        query = select(Message).where(Message.participant_id == participant_id)
        if kind:
            query = query.where(Message.kind == kind)
        return list(session.exec(query.order_by(Message.id)))


def counts(world) -> tuple[int, int, int]:
    with world.db.read() as session:
        return (
            session.exec(select(func.count()).select_from(Participant)).one(),
            session.exec(select(func.count()).select_from(Message)).one(),
            session.exec(select(func.count()).select_from(ParticipantInterest)).one(),
        )


def link_in(world, message: Message) -> str:
    return open_links(world.key, message.sealed)[LINK].removeprefix(BASE)


async def test_the_form_offers_the_districts_and_the_channel_of_the_link(client, channel):
    page = await client.get("/bli-med?kilde=plakat-pa-hovik")
    assert page.status_code == 200
    assert "<option>Bærums Verk</option>" in page.text
    assert '<option value="plakat-pa-hovik" selected>Plakat på Høvik</option>' in page.text
    assert 'id="interests-0" value="Klima"' in page.text
    assert 'href="/personvern"' in page.text
    unknown = await client.get("/bli-med?kilde=<script>")
    assert "selected" not in unknown.text and "&lt;script&gt;" not in unknown.text


async def test_signing_up_stores_a_pending_resident_and_queues_a_sealed_confirmation(
    client, world, channel
):
    before = utcnow()
    done = await post_signup(client, interests=["Klima"], source="plakat-pa-hovik")
    assert done.status_code == 303 and done.headers["location"] == "/bli-med/sendt"
    person = find(world, "kari@example.no")
    assert person is not None and person.status == "pending"
    assert (person.name, person.email, person.gender, person.birth_year, person.district) == (
        "Kari Nordmann", "Kari@example.no", "female", 1990, "Høvik",
    )  # fmt: skip
    assert person.source == "plakat-pa-hovik" and person.language == "nb"
    assert person.consent_version == "2026-11" and person.consent_at >= before
    assert person.confirmed_at is None
    (message,) = messages_to(world, person.id)
    assert message.kind == "confirmation" and message.to_address == "Kari@example.no"
    assert message.priority > 0 and "Kari Nordmann" in message.body_text
    # The link is sealed: the stored email holds only the placeholder.
    assert LINK in message.body_text and "/bekreft/" not in message.body_text
    assert link_in(world, message).startswith("/bekreft/")
    sent = await client.get("/bli-med/sendt")
    assert "Sjekk e-posten din" in sent.text and "7 dager" in sent.text


async def test_the_link_confirms_only_when_the_button_is_pressed(client, world, channel):
    await post_signup(client)
    person = find(world, "kari@example.no")
    path = link_in(world, messages_to(world, person.id)[0])
    page = await client.get(path)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200 and "Ja, jeg vil være med" in page.text
    assert find(world, "kari@example.no").status == "pending"
    refused = await client.post(path, data={})
    assert refused.status_code == 403 and find(world, "kari@example.no").status == "pending"
    done = await client.post(path, data={"csrf": csrf_of(page)})
    assert done.status_code == 200 and "Velkommen" in done.text
    person = find(world, "kari@example.no")
    assert person.status == "active" and person.confirmed_at is not None
    again = await client.get(path)
    assert again.status_code == 200 and "allerede med" in again.text


async def test_a_wrong_form_shows_every_problem_and_stores_nothing(client, world, channel):
    before = counts(world)
    page = await post_signup(
        client, name=" ", email="not-an-address", gender=None, birth_year="2020",
        district="Oslo", consent=None, interests=["Klima", "Hacking"],
    )  # fmt: skip
    assert page.status_code == 400
    assert counts(world) == before
    assert "<title>Feil (7):" in page.text
    for field in ("name", "email", "gender-0", "birth_year", "district", "interests-0", "consent"):
        assert f'href="#{field}"' in page.text
    assert 'aria-describedby="birth_year-error"' in page.text
    assert "16 år" in page.text  # too young for the panel
    assert 'value="not-an-address"' in page.text  # the input is kept
    assert 'value="Klima" checked' in page.text


async def test_a_member_signing_up_again_sees_the_same_page_and_gets_a_notice(client, world):
    member = world.people["p1@example.no"]
    before = find(world, "p1@example.no")
    done = await post_signup(client, email="P1@Example.NO", name="Someone Else")
    assert done.status_code == 303 and done.headers["location"] == "/bli-med/sendt"
    after = find(world, "p1@example.no")
    assert (after.name, after.status, after.birth_year) == (before.name, "active", 1980)
    (notice,) = messages_to(world, member, "member-notice")
    assert notice.to_address == "p1@example.no" and "Person 1" in notice.body_text
    assert link_in(world, notice).startswith("/mine-data/")
    with world.db.read() as session:
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.action == "participant.signup_again")
        ).one()
    assert audit.target_id == member and audit.actor_name == f"resident:{member}"


async def test_one_who_left_is_asked_to_confirm_and_then_is_a_member_again(client, world):
    member = world.people["p2@example.no"]
    with world.db.write() as session:
        person = session.get(Participant, member)
        person.status = "unsubscribed"
        session.add(person)
    await post_signup(client, email="p2@example.no")
    (message,) = messages_to(world, member, "confirmation")
    path = link_in(world, message)
    page = await client.get(path)
    await client.post(path, data={"csrf": csrf_of(page)})
    person = find(world, "p2@example.no")
    assert person.status == "active" and person.consent_version == "2026-11"
    assert person.name == "Person 2"  # what the form said was not taken on trust


async def test_no_address_gets_more_than_its_share_of_email(client, world):
    for _ in range(EMAILS_PER_DAY + 2):
        done = await post_signup(client)
        assert done.status_code == 303
    person = find(world, "kari@example.no")
    assert len(messages_to(world, person.id)) == EMAILS_PER_DAY


async def test_the_hidden_field_a_robot_fills_in_stores_nothing(client, world):
    before = counts(world)
    done = await post_signup(client, website="http://spam.example")
    assert done.status_code == 303 and counts(world) == before


async def test_unconfirmed_sign_ups_expire_with_their_email(client, world):
    await post_signup(client)
    person = find(world, "kari@example.no")
    path = link_in(world, messages_to(world, person.id)[0])
    assert expire_signups(world.db) == 0
    later = utcnow() + timedelta(days=CONFIRM_DAYS, minutes=1)
    assert expire_signups(world.db, now=later) == 1
    assert find(world, "kari@example.no") is None
    assert messages_to(world, person.id) == []
    assert find(world, "p1@example.no").status == "active"  # members are never touched
    assert (await client.get(path)).status_code == 404


async def test_an_expired_or_altered_link_gets_a_friendly_page(client, world):
    member = world.people["p0@example.no"]
    old = resident_token(
        world.key, Purpose.confirm, member, "p0@example.no", utcnow() - timedelta(seconds=1)
    )
    page = await client.get(f"/bekreft/{old}")
    assert page.status_code == 410 and "utløpt" in page.text
    fresh = resident_token(
        world.key, Purpose.confirm, member, "p0@example.no", utcnow() + timedelta(days=1)
    )
    for token in (
        fresh[:-1] + ("A" if fresh[-1] != "A" else "B"),
        fresh.replace(f"{member}.", f"{member + 1}.", 1),
        resident_token(world.key, Purpose.access, member, "p0@example.no", utcnow()
                       + timedelta(days=1)),  # a "my data" link confirms nothing
        "../../etc",
    ):  # fmt: skip
        assert (await client.get(f"/bekreft/{token}")).status_code == 404


async def test_the_confirmation_is_delivered_over_smtp_and_its_link_works(
    client, world, smtp, dispatcher
):
    await post_signup(client, email="ola@example.no", name="Ola")
    summary = await dispatcher().run(once=True)
    assert summary.sent >= 1
    (received,) = [r for r in smtp.received if r.rcpt_tos == ["ola@example.no"]]
    email = message_from_bytes(received.message.as_bytes(), policy=default)
    text = email.get_body(("plain",)).get_content()
    found = re.search(re.escape(BASE) + r"(/bekreft/\S+)", text)
    assert found, text
    assert email["Subject"] == "Bekreft at du vil være med i innbyggerpanelet"
    assert "List-Unsubscribe" not in email  # not a mailing: there is nothing to leave yet
    page = await client.get(found.group(1))
    await client.post(found.group(1), data={"csrf": csrf_of(page)})
    assert find(world, "ola@example.no").status == "active"
    with world.db.read() as session:
        sent = session.exec(select(Message).where(Message.to_address == "ola@example.no")).one()
    assert sent.status == "sent" and sent.sealed is None  # the link is gone from the database


async def test_english_pages_send_english_email(client, world):
    page = await client.get("/bli-med?lang=en")
    assert "Join the citizen panel" in page.text
    form = {**FORM, "csrf": csrf_of(page)}
    await client.post("/bli-med", data=form)
    person = find(world, "kari@example.no")
    assert person.language == "en"
    (message,) = messages_to(world, person.id)
    assert message.subject == "Confirm that you want to join the citizen panel"


async def test_the_privacy_notice_names_its_version_and_the_rights(client):
    page = await client.get("/personvern")
    assert page.status_code == 200
    assert "Versjon 2026-11" in page.text and "Datatilsynet" in page.text
    assert 'href="/mine-data"' in page.text


async def test_posts_for_one_address_are_limited_whoever_sends_them(world):
    import httpx

    from web.app import create_app
    from web.config import WebConfig

    app = create_app(world.db, world.key, WebConfig(base_url=BASE, posts_per_minute_per_link=3))
    codes = []
    for n in range(5):  # from five different addresses, all for the same email
        transport = httpx.ASGITransport(app=app, client=(f"203.0.113.{n}", 1234))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            codes.append((await post_signup(client, email="Kari@example.no")).status_code)
    assert codes == [303, 303, 303, 429, 429]
    other = httpx.ASGITransport(app=app, client=("203.0.113.9", 1234))
    async with httpx.AsyncClient(transport=other, base_url=BASE) as client:
        assert (await post_signup(client, email="ola@example.no")).status_code == 303


async def test_the_municipality_is_named_as_the_settings_say(world):
    import httpx

    from tui.cli_web import web_config
    from tui.settings import load_settings
    from web.app import create_app

    config = web_config(load_settings(municipality="Asker kommune", base_url=BASE))
    assert config.municipality == "Asker kommune"
    app = create_app(world.db, world.key, config)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 1234))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        page = await client.get("/personvern")
    assert "Asker kommune er ansvarlig" in page.text and "Bærum" not in page.text
