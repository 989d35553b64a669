"""Closing the loop: staff say what was learned and what happens next, choose quotes, and
publish. Publishing puts the report on the residents' site and, in the same transaction,
queues a follow-up email to those who answered (for an anonymous survey, to all it invited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, func, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid, NotFound, Refused
from .models import Answer, Question, Survey, SurveyStatus
from .results import DEFAULT_K, Results, survey_results
from .roles import Role
from .sending import Letter, Mailing, queue_followups
from .timeutil import utcnow

MAX_LEARNED = 5000
MAX_QUOTES = 20
PUBLIC = Actor(id=None, username="public", role=Role.analyst)  # reads aggregates only


@dataclass(frozen=True)
class Quote:
    question: str
    text: str


@dataclass(frozen=True)
class Published:
    survey_id: int
    title: str
    published_at: datetime
    responses: int | None
    rate: float | None


@dataclass(frozen=True)
class Report:
    results: Results
    learned: str
    published_at: datetime
    quotes: list[Quote]


@dataclass(frozen=True)
class Publication:
    """Where a survey stands with publishing: for the dialog that publishes it."""

    title: str
    status: str
    anonymous: bool
    learned: str
    published_at: datetime | None
    quotes: int  # free-text answers chosen for the report


def publication(db: Database, *, actor: Actor, survey_id: int) -> Publication:
    actor.require(Role.admin, Role.editor)
    with db.read() as session:
        survey = session.get(Survey, survey_id)
        if survey is None:
            raise NotFound(f"no survey has the id {survey_id}")
        quotes = session.exec(
            select(func.count())
            .select_from(Answer)
            .join(Question, col(Question.id) == Answer.question_id)
            .where(Question.survey_id == survey_id, col(Answer.quoted).is_(True))
        ).one()
        return Publication(survey.title, survey.status, survey.anonymous, survey.learned or "",
                           survey.results_published_at, quotes)  # fmt: skip


def mark_quote(db: Database, *, actor: Actor, answer_id: int, quoted: bool) -> None:
    """Choose a free-text answer for the published report, or unchoose it."""
    actor.require(Role.admin, Role.editor)
    with db.write() as session:
        answer = session.get(Answer, answer_id)
        if answer is None or answer.text_value is None:
            raise NotFound(f"no free-text answer has the id {answer_id}")
        if quoted and not answer.quoted:
            question = session.get(Question, answer.question_id)
            chosen = session.exec(
                select(Answer.id)
                .join(Question, col(Question.id) == Answer.question_id)
                .where(Question.survey_id == (question.survey_id if question else 0),
                       col(Answer.quoted).is_(True))
            ).all()  # fmt: skip
            if len(chosen) >= MAX_QUOTES:
                raise Refused(f"a report holds at most {MAX_QUOTES} quotes")
        answer.quoted = quoted
        session.add(answer)
        audit.record(session, actor=actor, action="answer.quoted" if quoted else "answer.unquoted",
                     target_kind="answer", target_id=answer_id)  # fmt: skip


def publish_results(
    db: Database,
    *,
    actor: Actor,
    survey_id: int,
    learned: str,
    letters: dict[str, Letter],
    mailing: Mailing,
) -> int:
    """Publish a closed survey's results with `learned`, and queue the follow-up emails
    (`letters`, whose `[[link]]` becomes the report's address); returns how many were queued.
    Publishing again updates the text; nobody gets the email twice."""
    actor.require(Role.admin, Role.editor)
    learned = learned.strip()
    if not learned:
        raise Invalid("learned", "say what was learned and what happens next")
    if len(learned) > MAX_LEARNED:
        raise Invalid("learned", f"is longer than {MAX_LEARNED} characters")
    with db.write() as session:
        survey = session.get(Survey, survey_id)
        if survey is None:
            raise NotFound(f"no survey has the id {survey_id}")
        if survey.status not in (SurveyStatus.closed, SurveyStatus.archived):
            raise Refused("close the survey before publishing its results")
        first = survey.results_published_at is None
        survey.learned = learned
        survey.results_published_at = survey.results_published_at or utcnow()
        survey.updated_at = utcnow()
        session.add(survey)
        link = f"{mailing.base_url}/resultater/{survey_id}"
        queued = queue_followups(session, actor=actor, survey=survey, letters=letters,
                                 mailing=mailing, link=link)  # fmt: skip
        action = "survey.results_published" if first else "survey.results_updated"
        audit.record(session, actor=actor, action=action, target_kind="survey",
                     target_id=survey_id, detail={"follow_ups": queued})  # fmt: skip
        return queued


def published(db: Database, *, k: int = DEFAULT_K) -> list[Published]:
    """Every published report, newest first, for the residents' results page."""
    with db.read() as session:
        rows = session.exec(
            select(Survey.id, Survey.title, Survey.results_published_at)
            .where(col(Survey.results_published_at).is_not(None))
            .order_by(col(Survey.results_published_at).desc())
        ).all()
    found = []
    for survey_id, title, when in rows:
        results = survey_results(db, actor=PUBLIC, survey_id=survey_id or 0, k=k)
        found.append(Published(survey_id or 0, title, when, results.responses,
                               results.progress.rate))  # fmt: skip
    return found


def report(db: Database, survey_id: int, *, k: int = DEFAULT_K) -> Report | None:
    """A published report as residents read it: protected figures, what was learned, and the
    chosen quotes; None if the survey's results are not published."""
    with db.read() as session:
        survey = session.get(Survey, survey_id)
        if survey is None or survey.results_published_at is None:
            return None
        learned, when = survey.learned or "", survey.results_published_at
        quotes = [
            (key, Quote(question, text))
            for key, question, text in session.exec(
                select(Question.key, Question.text, Answer.text_value)
                .join(Answer, col(Answer.question_id) == Question.id)
                .where(Question.survey_id == survey_id, col(Answer.quoted).is_(True))
                .order_by(col(Question.position), col(Answer.id))
            )
            if text
        ]
    results = survey_results(db, actor=PUBLIC, survey_id=survey_id, k=k)
    # A sentence from a question too few answered could say who wrote it: not published.
    enough = {q.key for q in results.questions if q.respondents}
    return Report(results, learned, when, [quote for key, quote in quotes if key in enough])
