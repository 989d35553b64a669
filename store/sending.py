"""Queueing a survey's invitations and reminders: the invitations and their emails in one go.

Everything a send writes — the batch with its seed and rule, one invitation per person, one
outbox row per email, the participants' last-contacted times and the audit entry — is written
in one transaction, so a crash leaves all of it or none. The words are written once per
language (`Letter`: subject, text and HTML), holding the placeholder `[[name]]` and the
personal links as templates (see store/links.py). An outbox row holds only the address, its
letter and its Message-ID: nothing in it is secret. The dispatcher fills in the person's name
and links as it sends.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import cached_property

from sqlalchemy import String, case, cast, insert, literal, or_, update
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database, bulk_insert
from .errors import Invalid, NotFound, Refused
from .links import invitation_token_hashes, letter_links, new_salts
from .models import (
    Invitation,
    Message,
    MessageStatus,
    Participant,
    ParticipantStatus,
    Response,
    SendBatch,
    Survey,
    SurveyStatus,
)
from .models import (
    Letter as LetterRow,
)
from .roles import Role
from .sampling import Plan
from .sealing import LINK, UNSUBSCRIBE, fill
from .secrets import ServerKey
from .timeutil import utcnow

NAME = "[[name]]"
CHUNK = 2000  # ids per IN list: well under SQLite's limit on bound variables
BULK = 20_000  # rows per executemany


@dataclass(frozen=True)
class Letter:
    """One email for one language, with placeholders for the person and their links."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Mailing:
    """How queued email is addressed: the sender, and where residents' pages live."""

    mail_from: str
    base_url: str

    @cached_property
    def domain(self) -> str:
        """The sender's domain, which every Message-ID is made on."""
        return parseaddr(self.mail_from)[1].rpartition("@")[2] or "localhost"


@dataclass(frozen=True)
class Queued:
    batch_id: int | None
    queued: int  # emails queued
    skipped: int  # chosen, but invited meanwhile, or no longer active


def queue_invitations(
    db: Database,
    key: ServerKey,
    *,
    actor: Actor,
    plan: Plan,
    letters: dict[str, Letter],
    mailing: Mailing,
) -> Queued:
    """Invite the people `plan` chose to its survey (which must be open)."""
    actor.require(Role.admin, Role.editor)
    if plan.survey_id is None:
        raise Invalid("survey", "this plan is a call for volunteers, not a survey send")
    now = utcnow()
    with db.write() as session:
        survey = _open_survey(session, plan.survey_id)
        invited = set(
            session.exec(
                select(Invitation.participant_id).where(Invitation.survey_id == survey.id)
            ).all()
        )
        # In participant order: the rows then go in at the end of most of their indexes, which
        # makes the insert about a third quicker (tests/bench/sending.py).
        people = [p for p in reachable_people(session, sorted(plan.chosen)) if p[0] not in invited]
        batch = SendBatch(
            survey_id=survey.id,
            kind="invitation",
            seed=plan.seed,
            criteria=plan.selection.criteria(),
            summary=plan.summary(),
            size=len(people),
            created_by=actor.id,
            created_by_name=actor.username,
        )
        session.add(batch)
        session.flush()
        stored = store_letters(session, batch, "invitation", letters, mailing)
        salts = new_salts(len(people))
        invitations = [
            {"participant_id": person[0], "token_hash": hashed, "link_salt": salt}
            for person, salt, hashed in zip(
                people, salts, invitation_token_hashes(key, salts), strict=True
            )
        ]
        same = {"survey_id": survey.id, "batch_id": batch.id, "created_at": now}
        for chunk in _chunks(invitations, BULK):
            bulk_insert(session, Invitation.__table__, chunk, same)  # type: ignore[arg-type]
        _invitation_emails(session, survey.id, batch.id, stored, mailing, now)
        _contacted(session, batch.id, now)
        audit.record(
            session,
            actor=actor,
            action="survey.invitations_queued",
            target_kind="survey",
            target_id=survey.id,
            detail={"batch": batch.id, "queued": len(people), "seed": plan.seed},
        )
        return Queued(batch.id, len(people), len(plan.chosen) - len(people))


def _invitation_emails(
    session: Session,
    survey_id: int,
    batch_id: int,
    letters: dict[str, int],
    mailing: Mailing,
    now: datetime,
) -> None:
    """An outbox row for each invitation of the batch, in the invited person's language, made
    by the database from the invitation rows in one statement (no row passes through Python).
    Each Message-ID is the batch's random part and the participant's id, on the sender's
    domain: unique, and the same every time the email is tried."""
    invitation, person, message = (
        Invitation.__table__, Participant.__table__, Message.__table__  # type: ignore[attr-defined]
    )  # fmt: skip
    who = cast(invitation.c.participant_id, String)
    others = {language: id_ for language, id_ in letters.items() if language != "nb"}
    letter = case(others, value=person.c.language, else_=letters["nb"]) if others else None
    rows = (
        select(
            literal(f"invite:{survey_id}:") + who,
            literal("invitation"),
            invitation.c.participant_id,
            literal(survey_id),
            literal(batch_id),
            letter if letter is not None else literal(letters["nb"]),
            person.c.email,
            literal(f"<{secrets.token_hex(8)}.") + who + literal(f"@{mailing.domain}>"),
            literal(MessageStatus.queued.value),
            literal(0),
            literal(0),
            literal(now, message.c.created_at.type),
        )
        .join_from(invitation, person, person.c.id == invitation.c.participant_id)
        .where(invitation.c.batch_id == batch_id)
        .order_by(invitation.c.id)
    )
    names = ("dedupe_key", "kind", "participant_id", "survey_id", "batch_id", "letter_id",
             "to_address", "message_id", "status", "priority", "attempts",
             "created_at")  # fmt: skip
    session.execute(insert(message).from_select(names, rows))


def queue_reminders(
    db: Database,
    *,
    actor: Actor,
    survey_id: int,
    letters: dict[str, Letter],
    mailing: Mailing,
    due_only: bool = False,
) -> Queued:
    """Remind invited people who have not answered, up to the survey's maximum.

    `due_only` (the scheduled round) reminds only those whose invitation, or last reminder, is
    at least the survey's `remind_after_days` old; by hand, everyone not yet answered.
    """
    actor.require(Role.admin, Role.editor)
    now = utcnow()
    with db.write() as session:
        survey = _open_survey(session, survey_id)
        if due_only and survey.remind_after_days is None:
            return Queued(None, 0, 0)
        query = (
            select(Invitation, Participant.email, Participant.language)
            .join(Participant, col(Participant.id) == Invitation.participant_id)
            .where(
                Invitation.survey_id == survey_id,
                col(Invitation.completed_at).is_(None),
                Invitation.reminders < survey.max_reminders,
                Participant.status == ParticipantStatus.active,
                col(Participant.undeliverable_at).is_(None),
                col(Participant.email).is_not(None),
                col(Invitation.link_salt).is_not(None),
            )
        )
        if due_only:
            wait = timedelta(days=survey.remind_after_days or 0)
            query = query.where(col(Invitation.created_at) <= now - wait)
        rows = [
            row
            for row in session.exec(query).all()
            if not due_only or _reminder_due(row[0], now, survey.remind_after_days or 0)
        ]
        if not rows:
            return Queued(None, 0, 0)
        batch = SendBatch(
            survey_id=survey_id,
            kind="reminder",
            criteria={"due_only": due_only, "max_reminders": survey.max_reminders},
            size=len(rows),
            created_by=actor.id,
            created_by_name=actor.username,
        )
        session.add(batch)
        session.flush()
        stored = store_letters(session, batch, "reminder", letters, mailing)
        messages = []
        for (invitation, email, language), unique in zip(rows, new_salts(len(rows)), strict=True):
            number = invitation.reminders + 1
            dedupe = f"remind:{survey_id}:{invitation.participant_id}:{number}"
            person = (invitation.participant_id, email, language)
            messages.append(outbox_row(stored, mailing, dedupe, person, unique))
        ids = [invitation.id for invitation, *_rest in rows]
        for chunk in _chunks(ids):
            session.execute(
                update(Invitation)
                .where(col(Invitation.id).in_(chunk))
                .values(reminders=Invitation.reminders + 1, reminded_at=now)
                .execution_options(synchronize_session=False)
            )
        same = {"survey_id": survey_id, "batch_id": batch.id, "created_at": now}
        write_batch(session, messages, {**same, "kind": "reminder"})
        audit.record(
            session,
            actor=actor,
            action="survey.reminders_queued",
            target_kind="survey",
            target_id=survey_id,
            detail={"batch": batch.id, "queued": len(messages), "due_only": due_only},
        )
        return Queued(batch.id, len(messages), 0)


def scheduled_reminders(db: Database, *, actor: Actor) -> list[tuple[int, str]]:
    """(id, title) of the open surveys, not yet closed, that have a reminder schedule."""
    actor.require(Role.admin, Role.editor)
    now = utcnow()
    with db.read() as session:
        return list(
            session.exec(
                select(Survey.id, Survey.title).where(
                    Survey.status == SurveyStatus.open,
                    col(Survey.remind_after_days).is_not(None),
                    Survey.max_reminders > 0,
                    or_(col(Survey.closes_at).is_(None), col(Survey.closes_at) > now),
                )
            ).all()
        )


def _reminder_due(invitation: Invitation, now: datetime, days: int) -> bool:
    last = invitation.reminded_at or invitation.created_at
    return last <= now - timedelta(days=days)


def _open_survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"no survey has the id {survey_id}")
    if survey.status != SurveyStatus.open:
        raise Refused(f"the survey is {survey.status}: open it before sending or reminding")
    if survey.closes_at is not None and survey.closes_at <= utcnow():
        raise Refused("the survey's closing date has passed: change it before sending")
    return survey


def reachable_people(session: Session, ids: list[int]) -> list[tuple[int, str, str]]:
    """(id, email, language) of those still active with a deliverable address, in the order of
    `ids`. Many are read in one pass over the panel rather than by lists of ids."""
    reachable = (
        Participant.status == ParticipantStatus.active,
        col(Participant.undeliverable_at).is_(None),
        col(Participant.email).is_not(None),
    )
    columns = (Participant.id, Participant.email, Participant.language)
    query = select(*columns).where(*reachable)
    if len(ids) <= CHUNK:
        query = query.where(col(Participant.id).in_(ids))
    # Core, not the ORM: plain tuples, read at the driver's speed.
    found = {row[0]: tuple(row) for row in session.connection().execute(query)}
    return [found[person_id] for person_id in ids if person_id in found]


def store_letters(
    session: Session,
    batch: SendBatch,
    kind: str,
    letters: dict[str, Letter],
    mailing: Mailing,
    link: str | None = None,
) -> dict[str, int]:
    """The send's letters, one row per language, their links as templates (or `link` for all,
    when it is not a personal one); their ids by language."""
    survey, unsubscribe = letter_links(mailing.base_url)
    links = {LINK: link or survey, UNSUBSCRIBE: unsubscribe}
    ids = {}
    for language, letter in letters.items():
        row = LetterRow(
            batch_id=batch.id,
            kind=kind,
            language=language,
            subject=fill(letter.subject, links),
            body_text=fill(letter.text, links),
            body_html=fill(letter.html, links),
            headers={
                "From": mailing.mail_from,
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        ids[language] = row.id
    return ids


def queue_followups(
    session: Session,
    *,
    actor: Actor,
    survey: Survey,
    letters: dict[str, Letter],
    mailing: Mailing,
    link: str,
) -> int:
    """In the caller's transaction: an email to everyone who answered `survey` (or, for an
    anonymous one, whom it invited: who answered is not known) saying what came of it, with
    `link` to the published results. Each person gets it once, however often it is called;
    returns how many were queued now."""
    if survey.anonymous:
        ids = select(Invitation.participant_id).where(Invitation.survey_id == survey.id)
    else:
        ids = select(Response.participant_id).where(
            Response.survey_id == survey.id, col(Response.participant_id).is_not(None)
        )
    chosen = sorted({i for i in session.exec(ids) if i is not None})
    done = set(
        session.exec(
            select(Message.participant_id).where(
                Message.survey_id == survey.id, Message.kind == "follow-up"
            )
        )
    )
    people = [p for p in reachable_people(session, chosen) if p[0] not in done]
    if not people:
        return 0
    batch = SendBatch(survey_id=survey.id, kind="follow-up", size=len(people),
                      created_by=actor.id, created_by_name=actor.username)  # fmt: skip
    session.add(batch)
    session.flush()
    stored = store_letters(session, batch, "follow-up", letters, mailing, link=link)
    messages = [
        outbox_row(stored, mailing, f"followup:{survey.id}:{person[0]}", person, unique)
        for person, unique in zip(people, new_salts(len(people)), strict=True)
    ]
    now = utcnow()
    write_batch(session, messages, {"survey_id": survey.id, "batch_id": batch.id,
                                   "created_at": now, "kind": "follow-up"})  # fmt: skip
    return len(messages)


def outbox_row(
    letters: dict[str, int],
    mailing: Mailing,
    dedupe: str,
    person: tuple[int, str | None, str | None],
    unique: str,
) -> dict:
    """An outbox row for a person (id, email, language), in their language's letter; `unique`
    (random) makes its Message-ID."""
    person_id, email, language = person
    return dict(
        dedupe_key=dedupe,
        participant_id=person_id,
        letter_id=letters.get(language or "nb") or letters["nb"],
        to_address=email,
        message_id=f"<{unique}@{mailing.domain}>",
    )


@dataclass(frozen=True)
class Content:
    """An outbox message's subject, bodies and headers, placeholders for links still in."""

    subject: str
    text: str
    html: str | None
    headers: dict


def message_content(session: Session, message: Message) -> Content:
    """What a message says: its letter with the person's name, or its own text."""
    letter = session.get(LetterRow, message.letter_id) if message.letter_id else None
    if letter is None:
        return Content(message.subject, message.body_text, message.body_html, message.headers or {})
    person = session.get(Participant, message.participant_id) if message.participant_id else None
    fields = message.fields or {"name": (person.name if person else None) or ""}
    subject, text, html_body = personal(letter.subject, letter.body_text, letter.body_html, fields)
    return Content(subject, text, html_body, dict(letter.headers or {}))


def personal(
    subject: str, text: str, html_body: str | None, fields: dict[str, str] | None
) -> tuple[str, str, str | None]:
    """A letter's subject and bodies with the person's own placeholders filled in."""
    name = (fields or {}).get("name", "")
    return (
        subject.replace(NAME, name),
        text.replace(NAME, name),
        html_body.replace(NAME, html.escape(name)) if html_body is not None else None,
    )


def write_batch(session: Session, messages: list[dict], same: dict) -> None:
    """A batch's outbox rows (`same` holds what all rows share), and the contact time of
    everyone the batch writes to."""
    kind = same.pop("kind")
    status = {"status": MessageStatus.queued.value, "priority": 0, "attempts": 0}
    for chunk in _chunks(messages, BULK):
        bulk_insert(session, Message.__table__, chunk, {**same, **status, "kind": kind})  # type: ignore[arg-type]
    _contacted(session, same["batch_id"], same["created_at"])


def _contacted(session: Session, batch_id: int, now: datetime) -> None:
    """Everyone the batch writes to was contacted `now` (for the contact-frequency rule)."""
    session.execute(
        update(Participant)
        .where(
            col(Participant.id).in_(
                select(Message.participant_id).where(Message.batch_id == batch_id)
            )
        )
        .values(last_contacted_at=now)
        .execution_options(synchronize_session=False)
    )


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class BatchRow:
    id: int
    survey_id: int | None
    survey_title: str | None
    kind: str
    size: int
    seed: int | None
    created_at: datetime
    created_by: str | None


def recent_batches(db: Database, *, actor: Actor, limit: int = 5) -> list[BatchRow]:
    """The newest sends and reminder rounds, newest first."""
    actor.require(Role.admin, Role.editor)
    with db.read() as session:
        rows = session.exec(
            select(SendBatch, Survey.title)
            .join(Survey, col(Survey.id) == SendBatch.survey_id, isouter=True)
            .order_by(col(SendBatch.id).desc())
            .limit(limit)
        ).all()
        return [
            BatchRow(
                id=batch.id or 0,
                survey_id=batch.survey_id,
                survey_title=title,
                kind=batch.kind,
                size=batch.size,
                seed=batch.seed,
                created_at=batch.created_at,
                created_by=batch.created_by_name,
            )
            for batch, title in rows
        ]
