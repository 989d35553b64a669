"""Every form of the residents' site, fuzzed: any unicode, huge values, fields missing, repeated
or unknown, with and without a valid CSRF field. The site never answers 500, and a refused
post (any 4xx) leaves the database exactly as it was."""

from __future__ import annotations

import asyncio
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from store.models import Answer, Invitation, Message, Participant, ParticipantInterest, Response
from store.signup import Purpose, resident_token
from store.timeutil import utcnow
from tests.web.conftest import BASE, make_world
from web.app import create_app
from web.config import WebConfig
from web.security import csrf_token

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ODD = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["", " ", "0", "-1", "1990", "99999999999999999999", "yes", "\x00", "ja"])
HUGE = st.integers(1_000, 70_000).map(lambda n: "x" * n)


def fields(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A form body: known and unknown names, each perhaps missing or repeated, any values."""
    name = st.sampled_from(names) | st.text(max_size=12)
    value = ODD | HUGE | st.sampled_from(names)
    return st.lists(st.tuples(name, value), max_size=12)


@pytest.fixture
def fuzz_site(sqlite_db, key):
    world = make_world(sqlite_db, key)
    config = WebConfig(
        base_url=BASE, posts_per_minute_per_client=10**9, posts_per_minute_per_link=10**9
    )
    transport = httpx.ASGITransport(app=create_app(world.db, world.key, config))
    with asyncio.Runner() as runner:
        client = httpx.AsyncClient(transport=transport, base_url=BASE, headers={"origin": BASE})
        yield world, Poster(runner, client)
        runner.run(client.aclose())


class Poster:
    """Posts from synchronous code (hypothesis runs examples one by one), through the app."""

    def __init__(self, runner: asyncio.Runner, client: httpx.AsyncClient) -> None:
        self.runner, self.client = runner, client

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.runner.run(self.client.post(path, **kwargs))


def snapshot(world) -> tuple:
    """Everything a post could change, in comparable form."""
    with world.db.read() as session:
        return (
            [
                (p.id, p.status, p.name, p.email, p.consent_at)
                for p in session.exec(select(Participant))
            ],
            [(m.id, m.status) for m in session.exec(select(Message))],
            len(session.exec(select(ParticipantInterest)).all()),
            [(i.id, i.draft, i.completed_at) for i in session.exec(select(Invitation))],
            len(session.exec(select(Response)).all()),
            len(session.exec(select(Answer)).all()),
        )


def post(world, client, path: str, body: list[tuple[str, str]], with_csrf: bool):
    if with_csrf:
        body = [("csrf", csrf_token(world.key, path)), *body]
    before = snapshot(world)
    response = client.post(
        path,
        content=urlencode(body).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code < 500, (path, body[:3], response.text[:500])
    if 400 <= response.status_code < 500:
        assert snapshot(world) == before, (path, response.status_code)
    return response


VALID = {"name": "Kari", "email": "kari@example.no", "gender": "female", "birth_year": "1990",
         "district": "Jar", "consent": "yes"}  # fmt: skip
SIGNUP = ["name", "email", "gender", "birth_year", "district", "interests", "source", "consent",
          "website"]  # fmt: skip


@FUZZ
@given(body=fields(SIGNUP), with_csrf=st.booleans())
@example(body=list(VALID.items()), with_csrf=True)
@example(body=[*VALID.items(), ("interests", "x" * 1000), ("name", "Two")], with_csrf=True)
def test_the_sign_up_form(fuzz_site, body, with_csrf) -> None:
    world, client = fuzz_site
    response = post(world, client, "/bli-med", body, with_csrf)
    if response.status_code == 303:  # taken: then it was a whole, valid sign-up
        given = dict(body)
        assert given.get("consent") == "yes" or given.get("website")
    if body == list(VALID.items()):
        assert response.status_code == 303


@FUZZ
@given(
    body=fields(["q-aware", "q-worry", "q-ideas", "q-measures", "q-age", "side", "action"]),
    with_csrf=st.booleans(),
)
def test_the_survey_form(fuzz_site, body, with_csrf) -> None:
    world, client = fuzz_site
    post(world, client, f"/s/{world.tokens['p1@example.no']}", body, with_csrf)


@FUZZ
@given(body=fields(["choice", "confirm", "List-Unsubscribe"]), with_csrf=st.booleans())
def test_the_unsubscribe_form(fuzz_site, body, with_csrf) -> None:
    world, client = fuzz_site
    post(world, client, world.unsubscribe_path("p2@example.no"), body, with_csrf)


@FUZZ
@given(body=fields(["email"]), with_csrf=st.booleans())
def test_the_my_data_request_form(fuzz_site, body, with_csrf) -> None:
    world, client = fuzz_site
    post(world, client, "/mine-data", body, with_csrf)


@FUZZ
@given(
    body=fields(["confirm"]),
    with_csrf=st.booleans(),
    purpose=st.sampled_from([Purpose.access, Purpose.confirm]),
    token=st.none() | st.text(max_size=80),
)
def test_the_confirm_and_erase_forms(fuzz_site, body, with_csrf, purpose, token) -> None:
    from datetime import timedelta

    world, client = fuzz_site
    member = world.people["p0@example.no"]
    if token is None:
        token = resident_token(
            world.key, purpose, member, "p0@example.no", utcnow() + timedelta(hours=1)
        )
    path = "/bekreft/" if purpose == Purpose.confirm else "/mine-data/"
    post(world, client, path + quote(token, safe=""), body, with_csrf)


# Workshops: an invitation's form and a call for volunteers' form. The event's rows are
# compared too; on a fresh database the invitation's event has sessions 1 and 2, the call's
# event session 3, and another event session 4.


@pytest.fixture
def fuzz_workshop(fuzz_site):
    from tests.web.test_rsvp import make_workshop

    world, client = fuzz_site
    return world, client, make_workshop(world)


def workshop_rows(world) -> tuple:
    from store.models import EventInvite, EventVolunteer

    with world.db.read() as session:
        return (
            [(i.id, i.state, i.session_id, i.waitlisted_at, i.responded_at)
             for i in session.exec(select(EventInvite))],
            [(v.id, v.volunteered_at, v.declined_at) for v in session.exec(select(EventVolunteer))],
        )  # fmt: skip


def post_workshop(world, client, path: str, body, with_csrf: bool, field: str, valid: set[str]):
    """`post`, and then: a 4xx changed no event row; a 303 came of one valid `field`."""
    before = workshop_rows(world)
    response = post(world, client, path, body, with_csrf)
    if 400 <= response.status_code < 500:
        assert workshop_rows(world) == before, (path, response.status_code)
    if response.status_code == 303:
        given = [value for name, value in body if name == field]
        assert with_csrf and len(given) == 1 and given[0] in valid, body


@FUZZ
@given(body=fields(["choice", "1", "2", "3", "4", "no"]), with_csrf=st.booleans())
@example(body=[("choice", "1")], with_csrf=True)
@example(body=[("choice", "3")], with_csrf=True)  # another event's session: a 400
@example(body=[("choice", "99999999999999999999")], with_csrf=True)
@example(body=[("choice", "no"), ("choice", "2")], with_csrf=True)
def test_the_invitation_form(fuzz_workshop, body, with_csrf) -> None:
    world, client, ws = fuzz_workshop
    valid = {str(ws.first), str(ws.second), "no"}
    post_workshop(world, client, ws.rsvp("p1@example.no"), body, with_csrf, "choice", valid)


@FUZZ
@given(body=fields(["answer", "yes", "no"]), with_csrf=st.booleans())
@example(body=[("answer", "yes")], with_csrf=True)
@example(body=[("answer", "maybe")], with_csrf=True)
def test_the_call_for_volunteers_form(fuzz_workshop, body, with_csrf) -> None:
    world, client, ws = fuzz_workshop
    post_workshop(world, client, ws.call("p1@example.no"), body, with_csrf, "answer", {"yes", "no"})
