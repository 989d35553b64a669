"""Publishing a survey's results: refused while it is open, follow-ups once to the right
people in the same transaction, quotes chosen and capped, the public report protected."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import select

from mail.compose import follow_up_letters
from store.errors import Invalid, PermissionDenied, Refused
from store.models import Answer, Message, Participant, Question, Survey
from store.publishing import MAX_QUOTES, mark_quote, publish_results, published, report
from store.sending import Mailing
from store.surveys import create_survey, set_survey_status
from tests.store.test_results import ADMIN, ANALYST, SPEC, generate

MAILING = Mailing("Innbyggerpanelet <panel@example.no>", "https://panel.example")


def with_emails(db) -> None:
    with db.write() as session:
        session.execute(update(Participant).values(email=Participant.email_key))


def publish(db, survey_id: int, learned: str = "Vi lærte mye.") -> int:
    letters = follow_up_letters(title="Klima", mail_from=MAILING.mail_from)
    return publish_results(db, actor=ADMIN, survey_id=survey_id, learned=learned,
                           letters=letters, mailing=MAILING)  # fmt: skip


def follow_ups(db) -> list[Message]:
    with db.read() as session:
        return list(session.exec(select(Message).where(Message.kind == "follow-up")))


def test_publishing_queues_one_follow_up_to_each_who_answered(db) -> None:
    survey_id, rows = generate(db, 50)
    with_emails(db)
    with pytest.raises(Refused):
        publish(db, survey_id)
    assert follow_ups(db) == []
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="closed")
    with pytest.raises(Invalid):
        publish(db, survey_id, learned="  ")
    assert publish(db, survey_id) == len(rows)  # identified: those who answered, not all invited
    messages = follow_ups(db)
    assert len(messages) == len(rows) and len({m.participant_id for m in messages}) == len(rows)
    assert publish(db, survey_id, learned="Oppdatert.") == 0  # nobody gets it twice
    found = report(db, survey_id)
    assert found.learned == "Oppdatert." and found.results.responses == len(rows)
    with pytest.raises(PermissionDenied):
        publish_results(db, actor=ANALYST, survey_id=survey_id, learned="x", letters={},
                        mailing=MAILING)  # fmt: skip


def test_an_anonymous_surveys_follow_up_goes_to_all_it_invited(db) -> None:
    survey_id, rows = generate(db, 40)
    assert len(rows) == 36  # every tenth invited never answered
    with_emails(db)
    with db.write() as session:
        survey = session.get(Survey, survey_id)
        survey.anonymous = True
        session.add(survey)
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="closed")
    assert publish(db, survey_id) == 40  # 36 answered, but which ones is not known


def test_quotes_are_chosen_capped_and_shown_in_the_report(db) -> None:
    survey_id, _rows = generate(db, 80)
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="closed")
    with db.read() as session:
        texts = session.exec(
            select(Answer.id, Answer.text_value)
            .join(Question, Question.id == Answer.question_id)
            .where(Question.survey_id == survey_id, Answer.text_value.is_not(None))
            .order_by(Answer.id)
        ).all()
    assert len(texts) > MAX_QUOTES
    for answer_id, _text in texts[:MAX_QUOTES]:
        mark_quote(db, actor=ADMIN, answer_id=answer_id, quoted=True)
    with pytest.raises(Refused):
        mark_quote(db, actor=ADMIN, answer_id=texts[MAX_QUOTES][0], quoted=True)
    mark_quote(db, actor=ADMIN, answer_id=texts[0][0], quoted=False)
    with pytest.raises(PermissionDenied):
        mark_quote(db, actor=ANALYST, answer_id=texts[1][0], quoted=False)
    assert report(db, survey_id) is None  # not published yet
    publish(db, survey_id)
    quotes = report(db, survey_id).quotes
    assert [q.text for q in quotes] == [text for _id, text in texts[1:MAX_QUOTES]]
    assert {q.question for q in quotes} == {"Ideer?"}


def test_the_list_of_reports_is_newest_first(db) -> None:
    first, _ = generate(db, 30)
    other = create_survey(db, actor=ADMIN, spec=SPEC)
    set_survey_status(db, actor=ADMIN, survey_id=other, status="open")
    for survey_id in (first, other):
        set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="closed")
        publish(db, survey_id)
    listed = published(db)
    assert [p.survey_id for p in listed] == [other, first]
    assert listed[1].responses == 27 and listed[0].responses == 0


def test_a_quote_from_a_question_too_few_answered_is_not_published(db) -> None:
    survey_id, _rows = generate(db, 30)
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="closed")
    with db.read() as session:
        first = session.exec(
            select(Answer.id).join(Question, Question.id == Answer.question_id)
            .where(Question.survey_id == survey_id, Answer.text_value.is_not(None))
        ).first()  # fmt: skip
    mark_quote(db, actor=ADMIN, answer_id=first, quoted=True)
    publish(db, survey_id)
    assert len(report(db, survey_id).quotes) == 1
    assert report(db, survey_id, k=25).quotes == []  # fewer than 25 answered "Ideer?"
