"""Reading one participant's record: the contact history staff see, and all we hold about them.

Both are views of the same rows (invitations, answers, emails, workshops); erasure and the
access export itself, with its audit entry, are in `privacy.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from .actors import Actor
from .db import Database
from .models import (
    Answer,
    AuditEvent,
    Event,
    EventInvite,
    EventSession,
    EventVolunteer,
    Invitation,
    Message,
    Option,
    Participant,
    Question,
    Response,
    Survey,
)
from .participants import existing_participant, interest_names
from .roles import Role
from .sending import message_content
from .timeutil import utcnow

KINDS = ("invitation", "reminder", "answer", "email", "workshop")
PERSON_FIELDS = ("id", "name", "email", "gender", "birth_year", "district", "language", "status",
                 "source", "consent_version", "consent_at", "consent_note", "created_at",
                 "updated_at", "confirmed_at", "last_contacted_at")  # fmt: skip


@dataclass(frozen=True)
class HistoryItem:
    """One contact: when, which of `KINDS`, and a short English description for staff."""

    at: datetime
    kind: str
    description: str


def participant_history(db: Database, *, actor: Actor, participant_id: int) -> list[HistoryItem]:
    """Everything the panel sent to or heard from the participant, newest first."""
    actor.require(Role.admin, Role.editor)
    with db.read() as session:
        person = existing_participant(session, participant_id)
        items = [
            *_invitation_items(session, participant_id),
            *_email_items(session, person),
            *_workshop_items(session, participant_id),
        ]
    items.sort(key=lambda item: (item.at, KINDS.index(item.kind)), reverse=True)
    return items


def addressed_to(person: Participant) -> ColumnElement[bool]:
    """Outbox rows for this person: linked by id, or sent to their address before it was."""
    linked = col(Message.participant_id) == person.id
    if not person.email_key:
        return linked
    return or_(linked, func.lower(col(Message.to_address)) == person.email_key)


def held_about(session: Session, person: Participant) -> dict[str, Any]:
    """Everything held about the person, as JSON-ready values (times in ISO 8601).

    Only identified responses are there: anonymous ones are linked to nobody. Audit entries
    give the action and time, not which staff member acted.
    """
    participant_id = person.id or 0
    return {
        "exported_at": _iso(utcnow()),
        "participant": {field: _plain(getattr(person, field)) for field in PERSON_FIELDS},
        "interests": interest_names(session, participant_id),
        "invitations": _invitations(session, participant_id),
        "responses": _responses(session, participant_id),
        "workshops": _workshops(session, participant_id),
        "messages": _messages(session, person),
        "audit": [
            {"action": action, "at": _iso(moment)}
            for action, moment in session.exec(
                select(AuditEvent.action, AuditEvent.at)
                .where(AuditEvent.target_kind == "participant")
                .where(AuditEvent.target_id == participant_id)
                .order_by(col(AuditEvent.id))
            )
        ],
    }


def _invitation_items(session: Session, participant_id: int) -> list[HistoryItem]:
    rows = session.exec(
        select(Invitation, Survey.title)
        .join(Survey, col(Survey.id) == Invitation.survey_id)
        .where(Invitation.participant_id == participant_id)
    )
    items = []
    for invitation, title in rows:
        for moment, kind, words in (
            (invitation.sent_at, "invitation", "Invited to"),
            (invitation.reminded_at, "reminder", "Reminded about"),
            (invitation.completed_at, "answer", "Answered"),
        ):
            if moment is not None:
                items.append(HistoryItem(moment, kind, f"{words} “{title}”"))
    return items


def _email_items(session: Session, person: Participant) -> list[HistoryItem]:
    return [
        HistoryItem(
            message.sent_at or message.created_at,
            "email",
            f"{message.kind} email “{message_content(session, message).subject}”: {message.status}",
        )
        for message in session.exec(select(Message).where(addressed_to(person)))
    ]


def _workshop_items(session: Session, participant_id: int) -> list[HistoryItem]:
    items = []
    for volunteer, title in session.exec(
        select(EventVolunteer, Event.title)
        .join(Event, col(Event.id) == EventVolunteer.event_id)
        .where(EventVolunteer.participant_id == participant_id)
    ):
        if volunteer.asked_at:
            items.append(HistoryItem(volunteer.asked_at, "workshop",
                                     f"Asked to volunteer for “{title}”"))  # fmt: skip
        if volunteer.volunteered_at:
            how = {"call": "", "staff": " (entered by staff)"}.get(
                volunteer.source, " (in a survey)"
            )
            items.append(HistoryItem(volunteer.volunteered_at, "workshop",
                                     f"Volunteered for “{title}”{how}"))  # fmt: skip
        elif volunteer.declined_at:
            items.append(HistoryItem(volunteer.declined_at, "workshop",
                                     f"Did not volunteer for “{title}”"))  # fmt: skip
    for invite, title, label, starts_at in session.exec(
        select(EventInvite, Event.title, EventSession.label, EventSession.starts_at)
        .join(Event, col(Event.id) == EventInvite.event_id)
        .join(EventSession, col(EventSession.id) == EventInvite.session_id, isouter=True)
        .where(EventInvite.participant_id == participant_id)
    ):
        items.append(HistoryItem(invite.invited_at, "workshop", f"Invited to “{title}”"))
        where = f" ({label or _iso(starts_at)})" if starts_at else ""
        if invite.responded_at and invite.state != "invited":
            items.append(HistoryItem(invite.responded_at, "workshop",
                                     f"Workshop “{title}”: {invite.state}{where}"))  # fmt: skip
        if invite.attended is not None and starts_at is not None:
            came = "came" if invite.attended else "did not come"
            items.append(HistoryItem(starts_at, "workshop", f"Workshop “{title}”{where}: {came}"))
    return items


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _plain(value: Any) -> Any:
    """A JSON-ready value: times as ISO 8601, everything else as it is."""
    return _iso(value) if isinstance(value, datetime) else value


def _invitations(session: Session, participant_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Invitation, Survey.title)
        .join(Survey, col(Survey.id) == Invitation.survey_id)
        .where(Invitation.participant_id == participant_id)
        .order_by(col(Invitation.id))
    )
    return [
        {
            "survey_title": title,
            "sent_at": _iso(invitation.sent_at),
            "reminded_at": _iso(invitation.reminded_at),
            "completed_at": _iso(invitation.completed_at),
        }
        for invitation, title in rows
    ]


def _responses(session: Session, participant_id: int) -> list[dict[str, Any]]:
    """Identified responses with each answer: a label, a list of labels, a number or a text."""
    found = []
    responses = session.exec(
        select(Response, Survey.title)
        .join(Survey, col(Survey.id) == Response.survey_id)
        .where(Response.participant_id == participant_id)
        .order_by(col(Response.id))
    )
    for response, title in responses:
        rows = session.exec(
            select(Answer, Question, Option.label)
            .join(Question, col(Question.id) == Answer.question_id)
            .outerjoin(Option, col(Option.id) == Answer.option_id)
            .where(Answer.response_id == response.id)
            .order_by(col(Question.position), col(Option.position), col(Answer.id))
        )
        answers: dict[int, dict[str, Any]] = {}
        for answer, question, label in rows:
            value: Any = label
            if label is None:
                number = answer.number_value
                value = answer.text_value if number is None else _number(number)
            if question.kind == "multiple":
                entry = answers.setdefault(
                    question.id or 0, {"question": question.text, "answer": []}
                )
                entry["answer"].append(value)
            else:
                answers[question.id or 0] = {"question": question.text, "answer": value}
        found.append(
            {
                "survey_title": title,
                "submitted_at": _iso(response.submitted_at),
                "answers": list(answers.values()),
            }
        )
    return found


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _workshops(session: Session, participant_id: int) -> list[dict[str, Any]]:
    volunteered = {
        event_id: (source, asked_at, volunteered_at, declined_at)
        for event_id, source, asked_at, volunteered_at, declined_at in session.exec(
            select(EventVolunteer.event_id, EventVolunteer.source, EventVolunteer.asked_at,
                   EventVolunteer.volunteered_at, EventVolunteer.declined_at)
            .where(EventVolunteer.participant_id == participant_id)
        )
    }  # fmt: skip
    invites = {
        invite.event_id: (invite, starts_at)
        for invite, starts_at in session.exec(
            select(EventInvite, EventSession.starts_at)
            .join(EventSession, col(EventSession.id) == EventInvite.session_id, isouter=True)
            .where(EventInvite.participant_id == participant_id)
        )
    }
    titles = dict(
        session.exec(
            select(Event.id, Event.title).where(col(Event.id).in_(set(volunteered) | set(invites)))
        ).all()
    )
    rows = []
    for event_id in sorted(titles):
        source, asked, yes, no = volunteered.get(event_id, (None, None, None, None))
        invite, starts_at = invites.get(event_id, (None, None))
        rows.append(
            {
                "event_title": titles[event_id],
                "volunteer_source": source,
                "asked_at": _iso(asked),
                "volunteered_at": _iso(yes),
                "declined_to_volunteer_at": _iso(no),
                "state": invite.state if invite else None,
                "invited_at": _iso(invite.invited_at) if invite else None,
                "responded_at": _iso(invite.responded_at) if invite else None,
                "session_starts_at": _iso(starts_at),
                "attended": invite.attended if invite else None,
            }
        )
    return rows


def _messages(session: Session, person: Participant) -> list[dict[str, Any]]:
    """Emails to them, with the text body (the HTML copy says the same)."""
    found = []
    for message in session.exec(
        select(Message).where(addressed_to(person)).order_by(col(Message.id))
    ):
        content = message_content(session, message)
        found.append(
            {
                "kind": message.kind,
                "to_address": message.to_address,
                "subject": content.subject,
                "status": message.status,
                "created_at": _iso(message.created_at),
                "sent_at": _iso(message.sent_at),
                "body_text": content.text,
            }
        )
    return found
