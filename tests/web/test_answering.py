"""Answering a survey through the personal link, page by page, over HTTP."""

from __future__ import annotations

import threading
from datetime import time

from sqlmodel import select

from store.answering import LinkUnusable, submit
from store.models import Answer, Invitation, Response
from store.reference import age_band
from store.surveys import set_survey_status
from tests.web.conftest import ADMIN, BASE, csrf_of, make_world


async def post(client, path: str, data: dict, page=None, **headers):
    page = page or await client.get(path)
    return await client.post(path, data={"csrf": csrf_of(page), **data}, headers=headers)


def responses(world) -> list[Response]:
    with world.db.read() as session:
        return list(session.exec(select(Response)))


async def test_a_resident_answers_page_by_page_and_submits_once(client, world) -> None:
    path = f"/s/{world.tokens['p1@example.no']}"
    first = await client.get(path)
    assert first.status_code == 200 and '<html lang="nb">' in first.text
    assert "Klima i Bærum" in first.text and "Vi vil høre hva du mener." in first.text
    assert first.headers["cache-control"] == "no-store"
    # Nothing chosen for a required question: the page again, the error beside the field.
    missing = await post(client, path, {"side": "0", "action": "next", "q-worry": "4"}, first)
    assert missing.status_code == 400
    assert 'aria-invalid="true" aria-describedby="q-aware-error"' in missing.text
    assert 'href="#q-aware-0"' in missing.text and "<title>Feil (1):" in missing.text
    assert 'value="4" checked' in missing.text  # what was given is kept
    assert responses(world) == []
    ahead = await post(
        client, path, {"side": "0", "action": "next", "q-aware": "0", "q-worry": "4"}
    )
    assert ahead.status_code == 303 and ahead.headers["location"] == f"{path}?side=1"
    # The condition on "aware" is met, so "ideas" is asked on the next page.
    second = await client.get(path)  # the same link resumes where the resident left off
    assert "Hva bør kommunen gjøre?" in second.text and "Send inn svarene" in second.text
    too_long = await post(
        client,
        path,
        {"side": "1", "action": "submit", "q-ideas": "x" * 51, "q-age": "tretti"},
        second,
    )
    assert too_long.status_code == 400 and "x" * 51 in too_long.text
    assert "høyst 50 tegn" in too_long.text and "Skriv et tall" in too_long.text
    back = await post(client, path, {"side": "1", "action": "back", "q-ideas": "Flere sykkelveier"})
    assert back.headers["location"] == f"{path}?side=0"
    again = await client.get(f"{path}?side=0")
    assert 'value="0" checked' in again.text  # the draft holds page one's answers
    done = await post(
        client,
        path,
        {
            "side": "1",
            "action": "submit",
            "q-ideas": "Flere sykkelveier",
            "q-measures": ["0", "2"],
            "q-age": "42,0",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == f"{path}?sendt=1"
    thanks = await client.get(f"{path}?sendt=1")
    assert thanks.status_code == 200 and "Takk for svarene!" in thanks.text
    used = await client.get(path)
    assert used.status_code == 410 and "allerede svart" in used.text
    [response] = responses(world)
    with world.db.read() as session:
        answers = session.exec(select(Answer).where(Answer.response_id == response.id)).all()
        invitation = session.exec(
            select(Invitation).where(Invitation.participant_id == world.people["p1@example.no"])
        ).one()
    assert len(answers) == 6  # aware, worry, ideas, two measures, age
    assert sorted(a.text_value for a in answers if a.text_value) == ["Flere sykkelveier"]
    assert sorted(a.number_value for a in answers if a.number_value) == [4.0, 42.0]
    # Anonymous: nothing ties the response to the invitation, not even the time of day.
    assert (response.invitation_id, response.participant_id) == (None, None)
    assert (response.gender, response.district) == ("female", "Bekkestua")
    assert response.age_band == age_band(1980, response.submitted_at.year)
    assert response.submitted_at.time() == time(0) == invitation.completed_at.time()
    assert invitation.draft is None and invitation.started_at.time() == time(0)


async def test_an_identified_survey_links_the_response(db, key, config) -> None:
    import httpx

    from tests.web.conftest import climate
    from web.app import create_app

    world = make_world(db, key, climate(anonymous=False), people=1)
    app = create_app(db, key, config)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        path = f"/s/{world.tokens['p0@example.no']}"
        page = await client.get(path)
        assert '<html lang="en">' in page.text and "Send my answers" not in page.text
        await post(client, path, {"side": "0", "action": "next", "q-aware": "1"}, page)
        done = await post(client, path, {"side": "1", "action": "submit"})
        assert done.status_code == 303
    [response] = responses(world)
    assert response.participant_id == world.people["p0@example.no"] and response.invitation_id


async def test_links_that_open_nothing_get_a_friendly_page_and_the_right_code(client, world):
    unknown = await client.get("/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert unknown.status_code == 404 and "Vi fant ikke siden" in unknown.text
    assert (await client.get("/s/%00' OR 1=1")).status_code == 404
    assert (await client.get("/nowhere")).status_code == 404
    set_survey_status(world.db, actor=ADMIN, survey_id=world.survey_id, status="closed")
    closed = await client.get(f"/s/{world.tokens['p1@example.no']}")
    assert closed.status_code == 410 and "avsluttet" in closed.text
    for page in (unknown, closed):
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"


async def test_posts_from_elsewhere_or_without_the_form_field_are_refused(client, world) -> None:
    path = f"/s/{world.tokens['p1@example.no']}"
    answer = {"side": "0", "action": "next", "q-aware": "0"}
    assert (await client.post(path, data=answer)).status_code == 403
    assert (await client.post(path, data={**answer, "csrf": "1.abc"})).status_code == 403
    page = await client.get(path)
    evil = await post(client, path, answer, page, origin="https://evil.example")
    assert evil.status_code == 403
    framed = await post(client, path, answer, page, **{"sec-fetch-site": "cross-site"})
    assert framed.status_code == 403
    other_page = await client.get(f"/s/{world.tokens['p2@example.no']}")
    stolen = await client.post(path, data={**answer, "csrf": csrf_of(other_page)})
    assert stolen.status_code == 403  # a token is for its own page only
    ok = await post(client, path, answer, page, origin=BASE, **{"sec-fetch-site": "same-origin"})
    assert ok.status_code == 303


async def test_a_body_too_large_is_refused_and_nothing_is_stored(client, world) -> None:
    path = f"/s/{world.tokens['p1@example.no']}"
    page = await client.get(path)
    huge = await post(client, path, {"side": "1", "q-ideas": "x" * 70_000, "action": "next"}, page)
    assert huge.status_code == 413 and "for stort" in huge.text
    with world.db.read() as session:
        assert all(i.draft is None for i in session.exec(select(Invitation)))


async def test_a_body_sent_in_chunks_is_cut_off_at_the_limit(client, world) -> None:
    path = f"/s/{world.tokens['p1@example.no']}"
    csrf = csrf_of(await client.get(path))

    async def chunks():
        yield f"csrf={csrf}&side=1&action=next&q-ideas=".encode()
        for _ in range(20):
            yield b"x" * 8192

    huge = await client.post(
        path, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert "content-length" not in huge.request.headers
    assert huge.status_code == 413 and "for stort" in huge.text
    with world.db.read() as session:
        assert all(i.draft is None for i in session.exec(select(Invitation)))


async def test_too_many_posts_for_one_link_are_slowed_down(client, world) -> None:
    path = f"/s/{world.tokens['p1@example.no']}"
    page = await client.get(path)
    codes = [
        (await post(client, path, {"side": "0", "action": "next"}, page)).status_code
        for _ in range(21)
    ]
    assert codes[:20] == [400] * 20 and codes[20] == 429
    limited = await post(client, path, {"side": "0", "action": "next"}, page)
    assert int(limited.headers["retry-after"]) >= 1


async def test_english_by_choice_or_by_the_browser(client, world) -> None:
    path = f"/s/{world.tokens['p1@example.no']}"
    chosen = await client.get(f"{path}?lang=en")
    assert '<html lang="en">' in chosen.text and "lang=" in chosen.headers["set-cookie"]
    assert '<html lang="en">' in (await client.get(path)).text  # the cookie keeps the choice
    client.cookies.clear()
    home = await client.get("/", headers={"accept-language": "en-GB,en;q=0.9,nb;q=0.5"})
    assert '<html lang="en">' in home.text
    home = await client.get("/", headers={"accept-language": "nn-NO, en;q=0.5"})
    assert '<html lang="nb">' in home.text


def test_two_submits_at_the_same_moment_give_one_response(world) -> None:
    token = world.tokens["p1@example.no"]
    answers = {"aware": "Nei", "worry": "3"}
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def go() -> None:
        barrier.wait()
        try:
            submit(world.db, world.key, token, answers)
            outcomes.append("stored")
        except LinkUnusable as problem:
            outcomes.append(problem.state.value)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["answered", "stored"]
    assert len(responses(world)) == 1


async def test_a_submit_with_a_bad_answer_on_an_earlier_page_shows_that_page(client, world):
    from store.answering import save_draft

    token = world.tokens["p1@example.no"]
    # An answer the survey no longer offers (an option reworded since the draft was saved).
    save_draft(world.db, world.key, token, {"aware": "Ja", "worry": "9"})
    path = f"/s/{token}"
    last = await client.get(f"{path}?side=1")
    refused = await post(client, path, {"side": "1", "action": "submit"}, last)
    assert refused.status_code == 400
    assert 'aria-describedby="q-worry-error"' in refused.text and "Side 1 av 2" in refused.text
    assert responses(world) == []
