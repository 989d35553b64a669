"""The public results pages: the list of published reports and one report, protected figures,
what was learned and the chosen quotes; unpublished surveys are not there."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from mail.compose import follow_up_letters
from store.models import Answer, Message, Participant, Question
from store.publishing import mark_quote, publish_results
from store.results import survey_results
from store.sending import Mailing
from store.surveys import set_survey_status
from tests.store.test_results import ADMIN, generate
from tests.web.conftest import BASE
from web.app import create_app
from web.config import WebConfig

MAILING = Mailing("Innbyggerpanelet <panel@example.no>", BASE)


@pytest.fixture
def published_survey(db):
    survey_id, rows = generate(db, 60)
    with db.write() as session:
        session.execute(update(Participant).values(email=Participant.email_key))
        quote = session.exec(
            select(Answer.id).join(Question, Question.id == Answer.question_id)
            .where(Question.survey_id == survey_id, Answer.text_value == "Bedre buss")
        ).first()  # fmt: skip
    mark_quote(db, actor=ADMIN, answer_id=quote, quoted=True)
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="closed")
    publish_results(db, actor=ADMIN, survey_id=survey_id,
                    learned="Flere vil sykle.\n\nVi bygger tre nye sykkelveier i 2027.",
                    letters=follow_up_letters(title="Klima", mail_from=MAILING.mail_from),
                    mailing=MAILING)  # fmt: skip
    return db, survey_id, rows


@pytest.fixture
async def site(published_survey, key):
    db = published_survey[0]
    transport = httpx.ASGITransport(app=create_app(db, key, WebConfig(base_url=BASE)))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def test_the_list_and_the_report(site, published_survey) -> None:
    db, survey_id, rows = published_survey
    listed = await site.get("/resultater")
    assert listed.status_code == 200
    assert f'<a href="/resultater/{survey_id}">Klima</a>' in listed.text
    assert f"{len(rows)} svar" in listed.text
    page = await site.get(f"/resultater/{survey_id}")
    assert page.status_code == 200
    assert f"{len(rows)} innbyggere svarte" in page.text
    assert "<p>Flere vil sykle.</p>" in page.text and "<p>Vi bygger tre nye" in page.text
    assert "<blockquote><p>Bedre buss</p></blockquote>" in page.text
    results = survey_results(db, actor=ADMIN, survey_id=survey_id)
    for share in results.questions[0].shares:
        shown = "færre enn 5" if share.count is None else str(share.count)
        assert f'<tr><th scope="row">{share.label}</th><td>{shown}</td>' in page.text
    english = await site.get(f"/resultater/{survey_id}?lang=en")
    assert "What we learned and what happens next" in english.text


async def test_the_follow_up_email_links_to_the_report(published_survey) -> None:
    db, survey_id, rows = published_survey
    with db.read() as session:
        messages = session.exec(select(Message).where(Message.kind == "follow-up")).all()
        from store.models import Letter

        letter = session.get(Letter, messages[0].letter_id)
    assert len(messages) == len(rows)
    assert f"{BASE}/resultater/{survey_id}" in letter.body_text


async def test_an_unpublished_survey_has_no_page(site, db) -> None:
    from store.surveys import create_survey
    from tests.store.test_results import SPEC

    survey_id = create_survey(db, actor=ADMIN, spec=SPEC)
    assert (await site.get(f"/resultater/{survey_id}")).status_code == 404
    assert (await site.get("/resultater/abc")).status_code == 404
