"""A resident answering a survey through the personal link in their invitation.

The link's token is looked up by its keyed hash (store/links.py); nothing else identifies the
resident. Answers are kept as a draft on the invitation while they go, so the same link resumes
later, and are submitted once: the invitation is marked complete by a conditional update in
the same transaction that writes the response, so two submits at the same moment give one
response.

An anonymous survey's response is stored unlinked, as DESIGN.md says: no invitation or
participant id, only the age band, gender and district copied at submission, and only the day
it came in. The invitation too keeps only the day it was started and completed, so the two
cannot be matched by time of day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from .db import Database
from .errors import PanelError
from .links import token_hashes
from .models import (
    Answer,
    Invitation,
    Participant,
    ParticipantStatus,
    Response,
    Survey,
    SurveyStatus,
)
from .reference import age_band
from .secrets import ServerKey
from .survey_spec import SurveySpec, answer_problem, parse_number, visible
from .surveys import load_spec
from .timeutil import utcnow

# What a token looks like (store/links.py makes 32 URL-safe base64 characters); anything else
# is not looked up at all.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
STILL_INVITED = (ParticipantStatus.active, ParticipantStatus.paused)

Answers = dict[str, Any]  # question key → a label, labels, or the text as typed
SPEC_CACHE_SIZE = 64
_specs: dict[tuple, SurveySpec] = {}


class LinkState(StrEnum):
    """Why a link opens no survey: each gets its own friendly page and status code."""

    unknown = "unknown"  # no such link, or the survey is not published, or the person left
    answered = "answered"  # submitted already
    closed = "closed"  # the survey is closed or past its closing date
    not_open = "not_open"  # the survey opens later


class LinkUnusable(PanelError):
    """The link opens no survey; `survey` (title, thank-you text, opening day) where known."""

    def __init__(self, state: LinkState, survey: Survey | None = None) -> None:
        super().__init__(state.value)
        self.state = state
        self.title = survey.title if survey else None
        self.thanks = survey.thanks if survey else None
        self.opens_on = survey.opens_at.date() if survey and survey.opens_at else None


class AnswersInvalid(PanelError):
    """Some answers will not do: question key → (code, figure), see `answer_problem`."""

    def __init__(self, problems: dict[str, tuple[str, int | None]]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Sheet:
    """What the resident's pages need: the survey, and the answers given so far."""

    survey_id: int
    spec: SurveySpec
    draft: Answers = field(default_factory=dict)
    language: str = "nb"


def _find(session: Session, key: ServerKey, token: str) -> tuple[Invitation, Survey, Participant]:
    if not TOKEN_SHAPE.match(token or ""):
        raise LinkUnusable(LinkState.unknown)
    found = session.exec(
        select(Invitation, Survey, Participant)
        .join(Survey, col(Survey.id) == Invitation.survey_id)
        .join(Participant, col(Participant.id) == Invitation.participant_id)
        .where(col(Invitation.token_hash).in_(token_hashes(key, token)))
    ).first()
    if found is None:
        raise LinkUnusable(LinkState.unknown)
    invitation, survey, person = found
    if survey.status == SurveyStatus.draft or person.status not in STILL_INVITED:
        raise LinkUnusable(LinkState.unknown)
    if invitation.completed_at is not None:
        raise LinkUnusable(LinkState.answered, survey)
    now = utcnow()
    if survey.status != SurveyStatus.open or (survey.closes_at and survey.closes_at <= now):
        raise LinkUnusable(LinkState.closed, survey)
    if survey.opens_at and survey.opens_at > now:
        raise LinkUnusable(LinkState.not_open, survey)
    return invitation, survey, person


def _spec(session: Session, survey: Survey) -> SurveySpec:
    """The survey as residents answer it, read once per version: every change to a survey
    (its questions, dates or status) raises its version and sets its time of change, so a
    cached copy is never stale. Treat it as read-only."""
    assert survey.id is not None
    key = (str(session.get_bind().url), survey.id, survey.version, survey.updated_at)
    spec = _specs.get(key)
    if spec is None:
        spec = load_spec(session, survey)
        if len(_specs) >= SPEC_CACHE_SIZE:
            _specs.pop(next(iter(_specs)), None)
        _specs[key] = spec
    return spec


def open_sheet(db: Database, key: ServerKey, token: str) -> Sheet:
    """The survey behind `token` and the draft so far; LinkUnusable says why not."""
    with db.read() as session:
        invitation, survey, person = _find(session, key, token)
        assert survey.id is not None
        return Sheet(survey.id, _spec(session, survey), dict(invitation.draft or {}),
                     person.language or "nb")  # fmt: skip


def problems_in(spec: SurveySpec, answers: Answers, keys: set[str] | None = None) -> dict:
    """What will not do among the questions asked (only those in `keys`, if given)."""
    found = {}
    for question in visible(spec, answers):
        if keys is not None and question.key not in keys:
            continue
        problem = answer_problem(question, answers.get(question.key))
        if problem is not None:
            found[question.key] = problem
    return found


def tidy(spec: SurveySpec, answers: Answers) -> Answers:
    """Only answers to questions that are asked, given the others; empty ones left out."""
    asked = {q.key for q in visible(spec, answers)}
    return {k: v for k, v in answers.items() if k in asked and v not in (None, "", [])}


def save_draft(db: Database, key: ServerKey, token: str, answers: Answers) -> None:
    """Keep `answers` (the whole sheet so far) to resume from; the first save marks a start."""
    with db.write() as session:
        invitation, survey, _person = _find(session, key, token)
        spec = _spec(session, survey)
        invitation.draft = tidy(spec, answers)
        invitation.started_at = invitation.started_at or _moment(survey)
        session.add(invitation)


def submit(db: Database, key: ServerKey, token: str, answers: Answers) -> int:
    """Store the response once; returns its id. AnswersInvalid names what will not do, and
    LinkUnusable(answered) is what the second of two simultaneous submits gets."""
    with db.write() as session:
        invitation, survey, person = _find(session, key, token)
        spec = _spec(session, survey)
        answers = tidy(spec, answers)
        if problems := problems_in(spec, answers):
            raise AnswersInvalid(problems)
        when = _moment(survey)
        done = session.execute(
            update(Invitation)
            .where(col(Invitation.id) == invitation.id, col(Invitation.completed_at).is_(None))
            .values(completed_at=when, draft=None, started_at=invitation.started_at or when)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise LinkUnusable(LinkState.answered, survey)
        response = new_response(survey, invitation, person, when)
        session.add(response)
        session.flush()
        assert response.id is not None
        if rows := _answer_rows(spec, response.id, answers):
            session.execute(insert(Answer.__table__), rows)  # type: ignore[arg-type]
        return response.id


def new_response(
    survey: Survey, invitation: Invitation, person: Participant, when: datetime
) -> Response:
    """A response as stored: an anonymous one linked to nobody, with the groups for breakdowns
    (the age band in the year it came in)."""
    return Response(
        survey_id=survey.id or 0,
        invitation_id=None if survey.anonymous else invitation.id,
        participant_id=None if survey.anonymous else person.id,
        age_band=age_band(person.birth_year, when.year),
        gender=person.gender,
        district=person.district,
        submitted_at=when,
    )


def _moment(survey: Survey) -> datetime:
    """Now, or for an anonymous survey only today: no time of day that could match a response
    to the invitation it came through."""
    now = utcnow()
    return datetime.combine(now.date(), time(0), tzinfo=now.tzinfo) if survey.anonymous else now


def _answer_rows(spec: SurveySpec, response_id: int, answers: Answers) -> list[dict[str, Any]]:
    """The answer rows of a response, from the survey as read (it carries the question and
    option ids)."""
    rows: list[dict[str, Any]] = []
    for question in visible(spec, answers):
        value = answers.get(question.key)
        if value in (None, "", []):
            continue
        assert question.id is not None
        row = {"response_id": response_id, "question_id": question.id, "option_id": None,
               "number_value": None, "text_value": None}  # fmt: skip
        if question.kind in ("single", "multiple"):
            ids = {option.label: option.id for option in question.options}
            labels = [value] if isinstance(value, str) else list(value)
            rows += [{**row, "option_id": ids[label]} for label in labels]
        elif question.kind in ("scale", "number"):
            rows.append({**row, "number_value": parse_number(value)})
        else:
            rows.append({**row, "text_value": str(value)})
    return rows
