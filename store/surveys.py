"""Surveys in the database: list, create, load, save with a version check, lifecycle, duplicate.

Once a survey has answers, a save that would orphan or misread them is refused with the reason:
deleting or retyping a question, deleting an option, or narrowing a scale or number range.
Wording fixes, new questions and new options are fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Conflict, Invalid, NotFound, Refused
from .models import Invitation, Option, Question, Response, Survey, SurveyStatus
from .roles import Role
from .survey_spec import OptionSpec, QuestionSpec, SurveySpec, check
from .timeutil import utcnow

EDITORS = (Role.admin, Role.editor)
# Where a survey may go from each status. Reopening a closed survey is allowed; an archived
# one comes back to closed first.
STATUS_CHANGES: dict[str, tuple[str, ...]] = {
    SurveyStatus.draft: (SurveyStatus.open,),
    SurveyStatus.open: (SurveyStatus.closed,),
    SurveyStatus.closed: (SurveyStatus.open, SurveyStatus.archived),
    SurveyStatus.archived: (SurveyStatus.closed,),
}


@dataclass(frozen=True)
class SurveyRow:
    id: int
    title: str
    status: str
    anonymous: bool
    opens_on: date | None
    closes_on: date | None
    questions: int
    invited: int
    answered: int
    updated_at: datetime | None

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.invited if self.invited else None


@dataclass(frozen=True)
class SurveyDetail:
    id: int
    status: str
    version: int
    answered: int
    spec: SurveySpec


# Dates are whole days in the server's time zone: a survey opens at the start of its first day
# and closes at the end of its last.
def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min).astimezone() if day else None


def _end_of(day: date | None) -> datetime | None:
    return datetime.combine(day + timedelta(days=1), time.min).astimezone() if day else None


def _day_of(start: datetime | None) -> date | None:
    return start.astimezone().date() if start else None


def _last_day_of(end: datetime | None) -> date | None:
    return (end.astimezone() - timedelta(microseconds=1)).date() if end else None


def list_surveys(db: Database, *, actor: Actor) -> list[SurveyRow]:
    """Every survey, newest first, with its question count, how many were invited and answered."""
    actor.require(*Role)
    with db.read() as session:
        questions = _counts(session, Question.survey_id)
        invited = _counts(session, Invitation.survey_id)
        answered = _counts(session, Response.survey_id)
        surveys = session.exec(select(Survey).order_by(col(Survey.id).desc())).all()
        return [
            SurveyRow(
                id=s.id,
                title=s.title,
                status=s.status,
                anonymous=s.anonymous,
                opens_on=_day_of(s.opens_at),
                closes_on=_last_day_of(s.closes_at),
                questions=questions.get(s.id, 0),
                invited=invited.get(s.id, 0),
                answered=answered.get(s.id, 0),
                updated_at=s.updated_at or s.created_at,
            )
            for s in surveys
            if s.id is not None
        ]


def _counts(session: Session, column) -> dict[int, int]:
    rows = session.exec(select(column, func.count()).group_by(column)).all()
    return {key: count for key, count in rows}


def get_survey(db: Database, *, actor: Actor, survey_id: int) -> SurveyDetail:
    actor.require(*Role)
    with db.read() as session:
        survey = _existing(session, survey_id)
        return SurveyDetail(
            id=survey_id,
            status=survey.status,
            version=survey.version,
            answered=_answered(session, survey_id),
            spec=load_spec(session, survey),
        )


def create_survey(db: Database, *, actor: Actor, spec: SurveySpec) -> int:
    """A new draft from `spec` (which must be valid); its id."""
    actor.require(*EDITORS)
    check(spec)
    with db.write() as session:
        survey = Survey(title=spec.title.strip(), created_by=actor.id, updated_at=utcnow())
        _apply_fields(survey, spec)
        session.add(survey)
        session.flush()
        assert survey.id is not None
        _save_questions(session, survey.id, spec)
        audit.record(
            session, actor=actor, action="survey.created", target_kind="survey", target_id=survey.id
        )
        return survey.id


def save_survey(
    db: Database, *, actor: Actor, survey_id: int, spec: SurveySpec, version: int
) -> int:
    """Write `spec` over the survey read at `version`; the new version.

    Raises Conflict if someone saved in between (nothing is written), Refused if the change
    would invalidate answers already given, SurveyInvalid if the survey breaks a rule.
    """
    actor.require(*EDITORS)
    check(spec)
    with db.write() as session:
        survey = _existing(session, survey_id)
        if survey.version != version:
            raise Conflict(
                f"someone else saved this survey since you opened it (version {survey.version}, "
                f"you have {version}); nothing was saved"
            )
        if survey.status == SurveyStatus.archived:
            raise Refused("the survey is archived; move it back to closed to change it")
        if _answered(session, survey_id):
            _refuse_destructive(load_spec(session, survey), spec)
        _apply_fields(survey, spec)
        survey.title = spec.title.strip()
        survey.version += 1
        survey.updated_at = utcnow()
        session.add(survey)
        _save_questions(session, survey_id, spec)
        audit.record(
            session,
            actor=actor,
            action="survey.saved",
            target_kind="survey",
            target_id=survey_id,
            detail={"version": survey.version},
        )
        return survey.version


def set_survey_status(db: Database, *, actor: Actor, survey_id: int, status: str) -> None:
    actor.require(*EDITORS)
    with db.write() as session:
        survey = _existing(session, survey_id)
        if status not in STATUS_CHANGES.get(survey.status, ()):
            raise Invalid("status", f"a survey cannot go from {survey.status} to {status}")
        if status == SurveyStatus.open:
            spec = load_spec(session, survey)
            if not spec.questions:
                raise Refused("a survey needs at least one question before it opens")
            if survey.closes_at is not None and survey.closes_at <= utcnow():
                raise Refused("the survey's closing date has passed: move it before opening")
            check(spec)
        before = survey.status
        survey.status = status
        survey.version += 1
        survey.updated_at = utcnow()
        session.add(survey)
        audit.record(
            session,
            actor=actor,
            action="survey.status",
            target_kind="survey",
            target_id=survey_id,
            detail={"from": before, "to": status},
        )


def duplicate_survey(db: Database, *, actor: Actor, survey_id: int, title: str) -> int:
    """A new draft with the survey's text and questions, and no answers; its id. A copy is for
    another round, so it has no dates until someone sets them."""
    actor.require(*EDITORS)
    detail = get_survey(db, actor=actor, survey_id=survey_id)
    spec = detail.spec
    spec.title = title
    spec.opens_on = spec.closes_on = None
    for question in spec.questions:
        question.id = None
        for option in question.options:
            option.id = None
    return create_survey(db, actor=actor, spec=spec)


def delete_survey(db: Database, *, actor: Actor, survey_id: int) -> None:
    """Delete a draft that was never sent; anything else is closed or archived instead."""
    actor.require(*EDITORS)
    with db.write() as session:
        survey = _existing(session, survey_id)
        invited = session.exec(
            select(func.count()).select_from(Invitation).where(Invitation.survey_id == survey_id)
        ).one()
        if survey.status != SurveyStatus.draft or invited or _answered(session, survey_id):
            raise Refused("only a draft that was never sent can be deleted; archive it instead")
        for question in session.exec(select(Question).where(Question.survey_id == survey_id)):
            for option in session.exec(select(Option).where(Option.question_id == question.id)):
                session.delete(option)
            session.delete(question)
        session.delete(survey)
        audit.record(
            session, actor=actor, action="survey.deleted", target_kind="survey", target_id=survey_id
        )


# Inside ----------------------------------------------------------------------------------------


def _existing(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"no survey has the id {survey_id}")
    return survey


def _answered(session: Session, survey_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(Response).where(Response.survey_id == survey_id)
    ).one()


def _apply_fields(survey: Survey, spec: SurveySpec) -> None:
    survey.intro = spec.intro.strip()
    survey.thanks = spec.thanks.strip()
    survey.anonymous = spec.anonymous
    survey.opens_at = _start_of(spec.opens_on)
    survey.closes_at = _end_of(spec.closes_on)
    survey.remind_after_days = spec.remind_after_days
    survey.max_reminders = spec.max_reminders


def load_spec(session: Session, survey: Survey) -> SurveySpec:
    questions = session.exec(
        select(Question).where(Question.survey_id == survey.id).order_by(col(Question.position))
    ).all()
    ids = [q.id for q in questions]
    options: dict[int, list[OptionSpec]] = {}
    if ids:
        for option in session.exec(
            select(Option).where(col(Option.question_id).in_(ids)).order_by(col(Option.position))
        ):
            options.setdefault(option.question_id, []).append(OptionSpec(option.label, option.id))
    return SurveySpec(
        title=survey.title,
        intro=survey.intro,
        thanks=survey.thanks,
        anonymous=survey.anonymous,
        opens_on=_day_of(survey.opens_at),
        closes_on=_last_day_of(survey.closes_at),
        remind_after_days=survey.remind_after_days,
        max_reminders=survey.max_reminders,
        questions=[
            QuestionSpec(
                key=q.key,
                kind=q.kind,
                text=q.text,
                required=q.required,
                options=options.get(q.id, []) if q.id is not None else [],
                min_value=q.min_value,
                max_value=q.max_value,
                min_label=q.min_label,
                max_label=q.max_label,
                max_length=q.max_length,
                show_if=_condition(q.show_if),
                id=q.id,
            )
            for q in questions
        ],
    )


def _refuse_destructive(before: SurveySpec, after: SurveySpec) -> None:
    """Refuse a change that would leave answers already given without their question or option."""
    kept = {q.id: q for q in after.questions if q.id is not None}
    answered = "the survey has answers"
    for old in before.questions:
        new = kept.get(old.id)
        name = f"question {old.key!r}"
        if new is None:
            raise Refused(f"{answered}, {name} cannot be deleted; duplicate the survey instead")
        if new.kind != old.kind:
            raise Refused(f"{answered}, {name} cannot change from {old.kind} to {new.kind}")
        labels = {o.id: o.label for o in new.options if o.id is not None}
        for option in old.options:
            if option.id not in labels:
                raise Refused(f"{answered}, option {option.label!r} of {name} cannot be deleted")
        if _narrower(old.min_value, new.min_value, low=True) or _narrower(
            old.max_value, new.max_value, low=False
        ):
            raise Refused(f"{answered}, the range of {name} can grow but not shrink")


def _condition(show_if: dict | None) -> dict[str, list[str]] | None:
    """A show_if as the store keeps it: each key to a list of trimmed answers."""
    if not show_if:
        return None
    return {
        key: [str(v).strip() for v in ([values] if isinstance(values, str) else values)]
        for key, values in show_if.items()
    }


def _narrower(old: int | None, new: int | None, *, low: bool) -> bool:
    """Whether a bound moved inwards (None is no bound at all)."""
    if new is None:
        return False
    if old is None:
        return True
    return new > old if low else new < old


def _save_questions(session: Session, survey_id: int, spec: SurveySpec) -> None:
    """Make the survey's questions and options those of `spec`, matched by id."""
    existing = {
        q.id: q for q in session.exec(select(Question).where(Question.survey_id == survey_id))
    }
    wanted = {q.id for q in spec.questions if q.id is not None}
    for question_id, question in list(existing.items()):
        if question_id not in wanted:
            session.delete(question)  # its options go with it (ON DELETE CASCADE, and below)
            for option in session.exec(select(Option).where(Option.question_id == question_id)):
                session.delete(option)
            del existing[question_id]
    # Keys are unique within a survey: park the kept ones so that swapping two keys works.
    for question in existing.values():
        question.key = f"~{question.id}"
        session.add(question)
    session.flush()
    for position, q in enumerate(spec.questions):
        row = existing.get(q.id) if q.id is not None else None
        if q.id is not None and row is None:
            raise NotFound(f"question {q.key!r} is not part of this survey any more; reload it")
        row = row or Question(
            survey_id=survey_id, position=position, key=q.key, kind=q.kind, text=""
        )
        row.position = position
        row.key = q.key
        row.kind = q.kind
        row.text = q.text.strip()
        row.required = q.required
        row.min_value, row.max_value = q.min_value, q.max_value
        row.min_label, row.max_label = q.min_label or None, q.max_label or None
        row.max_length = q.max_length
        row.show_if = _condition(q.show_if)
        session.add(row)
        session.flush()
        assert row.id is not None
        _save_options(session, row.id, q.options)


def _save_options(session: Session, question_id: int, options: list[OptionSpec]) -> None:
    existing = {
        o.id: o for o in session.exec(select(Option).where(Option.question_id == question_id))
    }
    wanted = {o.id for o in options if o.id is not None}
    for option_id, option in list(existing.items()):
        if option_id not in wanted:
            session.delete(option)
    for position, spec in enumerate(options):
        row = existing.get(spec.id) if spec.id is not None else None
        row = row or Option(question_id=question_id, position=position, label="")
        row.position = position
        row.label = spec.label.strip()
        session.add(row)
