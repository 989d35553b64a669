"""A participant's privacy rights: an access export of all we hold about them, and erasure.

Erasure empties the participant row, scrubs the outbox and the audit log, unlinks their answers
and makes their old links dead, in one transaction. Then the old bytes have to leave storage too:

- SQLite: `secure_delete` (set on every connection in `db.py`) zeroes deleted and shrunken
  cells, index entries and freed (also overflow) pages as they change. The WAL still holds the
  earlier page images, so a `wal_checkpoint(TRUNCATE)` follows the transaction. The tests read
  the file's bytes with other connections open: that much is enough, no VACUUM is needed. The
  checkpoint cannot finish while another connection is in the middle of a read; then
  `storage_cleaned` is False and the next checkpoint (SQLite makes one every 1000 pages, and
  when the last connection closes) finishes the job.
- PostgreSQL: the same rows are erased, then the touched tables are vacuumed. Raw-byte erasure
  there also depends on PostgreSQL's own storage: VACUUM makes dead tuples' space reusable but
  need not overwrite it at once, and its write-ahead log, WAL archives and replicas keep the
  old rows until they are recycled. Backups, on any engine, keep them until they expire.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, or_, select

from . import audit
from .actors import Actor
from .db import Database
from .events import withdraw_leaver
from .history import addressed_to, existing_participant, held_about
from .models import (
    Answer,
    AuditEvent,
    EventInvite,
    EventVolunteer,
    Invitation,
    Message,
    MessageStatus,
    Participant,
    ParticipantInterest,
    ParticipantStatus,
    Response,
    Survey,
)
from .roles import Role
from .timeutil import utcnow

ERASED = "[erased]"
ERASED_FIELDS = ("name", "email", "email_key", "gender", "birth_year", "district", "source",
                 "consent_version", "consent_at", "consent_note")  # fmt: skip
# Shorter local parts ("post", "kari") would match unrelated audit text.
MIN_LOCAL_PART = 6
TOUCHED_TABLES = ("participant", "participant_interest", "invitation", "response", "answer",
                  "event_invite", "message", "audit_event")  # fmt: skip


@dataclass(frozen=True)
class AccessExport:
    """Everything held about one participant, to hand to them (GDPR article 15)."""

    data: dict[str, Any]

    def as_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, indent=2)

    def as_text(self) -> str:
        return export_text(self.data)


@dataclass(frozen=True)
class ErasureResult:
    """What erasure changed. Invitations and workshop invites stay, with dead links, so that
    response rates and attendance still add up; they point at an empty participant row."""

    participant_id: int
    interests_removed: int
    responses_unlinked: int
    answers_scrubbed: int
    messages_scrubbed: int
    messages_cancelled: int
    invitations_kept: int
    workshop_invites_kept: int
    workshop_invites_withdrawn: int  # places and invitations still to come, given up
    audit_events_scrubbed: int
    storage_cleaned: bool  # the WAL checkpoint or VACUUM afterwards went through


def access_export(db: Database, *, actor: Actor, participant_id: int) -> AccessExport:
    """Admins only; the export itself is audited, by id."""
    actor.require(Role.admin)
    with db.write() as session:
        person = existing_participant(session, participant_id)
        data = held_about(session, person)
        audit.record(
            session,
            actor=actor,
            action="participant.access_exported",
            target_kind="participant",
            target_id=participant_id,
        )
    return AccessExport(data)


def erase_participant(db: Database, *, actor: Actor, participant_id: int) -> ErasureResult:
    """Remove a participant's personal data everywhere; keep what is anonymous.

    Admins only. An erased participant counts as gone: erasing them again raises NotFound,
    like any unknown id, and writes nothing.
    """
    actor.require(Role.admin)
    with db.write() as session:
        if db.is_sqlite:  # db.py sets it on every connection; erasure must not depend on that
            session.connection().exec_driver_sql("PRAGMA secure_delete = ON")
        person = existing_participant(session, participant_id)
        pattern = _personal_pattern(person)
        links = list(
            session.exec(
                select(ParticipantInterest).where(
                    ParticipantInterest.participant_id == participant_id
                )
            )
        )
        for link in links:
            session.delete(link)
        unlinked, answers = _unlink_responses(session, participant_id, pattern)
        scrubbed, cancelled = _scrub_messages(session, person)
        withdrawn = withdraw_leaver(session, participant_id, utcnow())
        invitations, invites = _kill_links(session, participant_id)
        counts = {
            "interests_removed": len(links),
            "responses_unlinked": unlinked,
            "answers_scrubbed": answers,
            "messages_scrubbed": scrubbed,
            "messages_cancelled": cancelled,
            "invitations_kept": invitations,
            "workshop_invites_kept": invites,
            "workshop_invites_withdrawn": withdrawn,
            "audit_events_scrubbed": _scrub_audit(session, pattern),
        }
        now = utcnow()
        for field in ERASED_FIELDS:
            setattr(person, field, None)
        person.language = "nb"
        person.status = ParticipantStatus.erased
        person.erased_at = person.updated_at = now
        session.add(person)
        audit.record(
            session,
            actor=actor,
            action="participant.erased",
            target_kind="participant",
            target_id=participant_id,
            detail=counts,
        )
    return ErasureResult(participant_id, **counts, storage_cleaned=_purge_old_copies(db))


def _personal_pattern(person: Participant) -> re.Pattern[str] | None:
    """The person's name or address as whole words, in any case, whatever the spaces."""
    terms = []
    if person.name and person.name.strip():
        terms.append(r"\s+".join(re.escape(part) for part in person.name.split()))
    for address in {person.email, person.email_key} - {None, ""}:
        assert address is not None
        terms.append(re.escape(address))
        local = address.split("@")[0]
        if len(local) >= MIN_LOCAL_PART:
            terms.append(re.escape(local))
    if not terms:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(terms) + r")(?!\w)", re.IGNORECASE)


def _scrubbed(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """`value` with every string that mentions the person replaced whole by ERASED."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return ERASED if pattern.search(value) else value
    if isinstance(value, list):
        return [_scrubbed(item, pattern) for item in value]
    if isinstance(value, dict):
        return {_scrubbed(k, pattern): _scrubbed(v, pattern) for k, v in value.items()}
    return value


def _unlink_responses(
    session: Session, participant_id: int, pattern: re.Pattern[str] | None
) -> tuple[int, int]:
    """Cut every tie between their responses and them; keep the answers.

    Identified responses also lose their demographics, which could point back to the person;
    anonymous ones keep them for the breakdowns. Text answers that name them are erased whole.
    """
    theirs = select(Invitation.id).where(Invitation.participant_id == participant_id)
    rows = list(
        session.exec(
            select(Response, Survey.anonymous)
            .join(Survey, col(Survey.id) == Response.survey_id)
            .where(
                or_(
                    col(Response.participant_id) == participant_id,
                    col(Response.invitation_id).in_(theirs),
                )
            )
        )
    )
    scrubbed = 0
    for response, anonymous in rows:
        response.participant_id = response.invitation_id = None
        if not anonymous:
            response.age_band = response.gender = response.district = None
        session.add(response)
        texts = session.exec(
            select(Answer).where(
                Answer.response_id == response.id, col(Answer.text_value).is_not(None)
            )
        )
        for answer in texts:
            if _scrubbed(answer.text_value, pattern) != answer.text_value:
                answer.text_value = ERASED
                session.add(answer)
                scrubbed += 1
    return len(rows), scrubbed


def _scrub_messages(session: Session, person: Participant) -> tuple[int, int]:
    """Empty every email to them; the ones not yet sent are cancelled."""
    messages = list(session.exec(select(Message).where(addressed_to(person))))
    cancelled = 0
    for message in messages:
        if message.status in (MessageStatus.queued, MessageStatus.sending):
            message.status = MessageStatus.cancelled
            message.lease_owner = message.lease_expires_at = message.next_attempt_at = None
            cancelled += 1
        message.participant_id = None
        message.to_address = message.body_html = message.headers = message.last_error = None
        message.sealed = message.fields = None
        message.subject = message.body_text = ERASED
        session.add(message)
    return len(messages), cancelled


def _kill_links(session: Session, participant_id: int) -> tuple[int, int]:
    """Replace the hashes of their survey and workshop links, so old links open nothing."""
    invitations = session.exec(
        select(Invitation).where(Invitation.participant_id == participant_id)
    ).all()
    invites = session.exec(
        select(EventInvite).where(EventInvite.participant_id == participant_id)
    ).all()
    for row in [*invitations, *invites]:
        row.token_hash = f"erased:{secrets.token_hex(16)}"
        session.add(row)
    for volunteer in session.exec(
        select(EventVolunteer).where(EventVolunteer.participant_id == participant_id)
    ):
        volunteer.token_hash, volunteer.link_salt = None, None
        session.add(volunteer)
    return len(invitations), len(invites)


def _scrub_audit(session: Session, pattern: re.Pattern[str] | None) -> int:
    """The audit log should never hold personal data; be sure it holds none of theirs.

    JSON text may escape non-ASCII letters, so the details are searched in Python, not SQL:
    the whole log is read, one (id, detail) pair at a time. Erasures are rare.
    """
    changed = []
    for event_id, detail in session.exec(select(AuditEvent.id, AuditEvent.detail)):
        scrubbed = _scrubbed(detail, pattern)
        if scrubbed != detail:
            changed.append((event_id, scrubbed))
    for event_id, scrubbed in changed:
        event = session.get_one(AuditEvent, event_id)
        event.detail = scrubbed
        session.add(event)
    return len(changed)


def _purge_old_copies(db: Database) -> bool:
    """Push the erased rows' old bytes out of the WAL (SQLite) or vacuum them (PostgreSQL)."""
    if db.is_sqlite:
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            # pysqlite runs in autocommit here (see db.py), so no transaction wraps the pragma.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = cursor.fetchone()[0]
            cursor.close()
        finally:
            connection.close()
        return busy == 0
    try:
        with db.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("VACUUM " + ", ".join(TOUCHED_TABLES))
    except DBAPIError:
        return False  # e.g. the database user may not vacuum; the erasure itself stands
    return True


# The readable export, in Norwegian Bokmål: it is handed to the resident.
WORDS = {
    "female": "kvinne", "male": "mann", "other": "annet", "nb": "norsk (bokmål)",
    "en": "engelsk", "pending": "venter på bekreftelse", "active": "aktiv", "paused": "pause",
    "unsubscribed": "meldt ut", "queued": "i kø", "sending": "sendes", "sent": "sendt",
    "failed": "kunne ikke sendes", "cancelled": "avlyst", "invited": "invitert",
    "accepted": "påmeldt", "declined": "takket nei", "waitlisted": "på venteliste",
    "participant.created": "registrert i panelet", "participant.updated": "opplysninger endret",
    "participant.status": "status endret", "participant.access_exported": "innsyn utlevert",
}  # fmt: skip
ABOUT = (("name", "Navn"), ("email", "E-post"), ("gender", "Kjønn"), ("birth_year", "Fødselsår"),
         ("district", "Bosted"), ("language", "Språk"), ("status", "Status"),
         ("source", "Hvordan du kom med"), ("consent_version", "Samtykke (versjon)"),
         ("consent_at", "Samtykke gitt"), ("consent_note", "Om samtykket"),
         ("created_at", "Registrert"), ("updated_at", "Sist endret"),
         ("confirmed_at", "E-post bekreftet"), ("last_contacted_at", "Sist kontaktet"))  # fmt: skip
ANONYMOUS_NOTE = "Svar på anonyme undersøkelser er ikke knyttet til deg og kan ikke hentes ut."


def export_text(data: dict[str, Any]) -> str:
    """The access export as plain text with headings, every value in it."""
    lines = ["Innsyn: opplysninger vi har om deg", f"Hentet ut {_when(data['exported_at'])}"]
    person = data["participant"]
    lines += _heading("Om deg")
    lines += [f"{title}: {_word(person[field], field)}" for field, title in ABOUT]
    lines += _heading("Interesser")
    lines += [f"- {name}" for name in data["interests"]] or ["(ingen)"]
    lines += _heading("Invitasjoner til undersøkelser")
    lines += [
        f"- «{i['survey_title']}»: sendt {_when(i['sent_at'])}, påminnet "
        f"{_when(i['reminded_at'])}, besvart {_when(i['completed_at'])}"
        for i in data["invitations"]
    ] or ["(ingen)"]
    lines += _heading("Svarene dine")
    for response in data["responses"]:
        lines.append(f"«{response['survey_title']}», sendt inn {_when(response['submitted_at'])}")
        for item in response["answers"]:
            value = item["answer"]
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines += [f"  {item['question']}", f"    {shown}"]
    lines.append(ANONYMOUS_NOTE)
    lines += _heading("Verksteder")
    lines += [_workshop_line(w) for w in data["workshops"]] or ["(ingen)"]
    lines += _heading("E-post til deg")
    for m in data["messages"]:
        lines.append(f"- {_when(m['sent_at'] or m['created_at'])}: «{m['subject']}» til "
                     f"{m['to_address'] or '–'} ({_word(m['status'])})")  # fmt: skip
        lines += [f"    {line}" for line in m["body_text"].splitlines()]
    if not data["messages"]:
        lines.append("(ingen)")
    lines += _heading("Hva som er gjort med opplysningene dine")
    lines += [f"- {_when(e['at'])}: {_word(e['action'])}" for e in data["audit"]]
    return "\n".join(lines) + "\n"


def _workshop_line(w: dict[str, Any]) -> str:
    parts = []
    if w["volunteered_at"]:
        parts.append(f"meldte deg som frivillig {_when(w['volunteered_at'])}")
    elif w["asked_at"]:
        parts.append(f"spurt om å være frivillig {_when(w['asked_at'])}")
    if w["state"]:
        parts.append(f"{_word(w['state'])} (invitert {_when(w['invited_at'])}, "
                     f"svarte {_when(w['responded_at'])})")  # fmt: skip
    if w["attended"] is not None:
        parts.append("deltok" if w["attended"] else "deltok ikke")
    return f"- «{w['event_title']}»: " + "; ".join(parts)


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def _word(value: Any, field: str = "") -> str:
    if value is None or value == "":
        return "ikke oppgitt"
    if field.endswith("_at"):
        return _when(value)
    return WORDS.get(str(value), str(value))


def _when(iso: str | None) -> str:
    """An ISO time from the export, in the server's local time, as Norwegians write it."""
    if iso is None:
        return "–"
    return datetime.fromisoformat(iso).astimezone().strftime("%d.%m.%Y kl. %H:%M")
