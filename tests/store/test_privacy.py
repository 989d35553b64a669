"""A participant's rights: the access export, erasure (down to the file's bytes), and history."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, col, select

import store.models  # noqa: F401
from store.actors import Actor
from store.errors import NotFound, PermissionDenied
from store.history import participant_history
from store.models import (
    Answer,
    AuditEvent,
    Event,
    EventInvite,
    Interest,
    Invitation,
    Message,
    Option,
    Participant,
    ParticipantInterest,
    Question,
    Response,
    Survey,
)
from store.participants import ParticipantInput, create_participant
from store.privacy import ERASED, access_export, erase_participant
from store.roles import Role
from tests.factories import actor_for, make_staff

ADMIN = Actor.operator()
NAME = "Åsmund Ærlighetsen"
EMAIL = "aasmund.unik@example.no"
OTHER = "Kari Nordmann"
OTHER_EMAIL = "kari.nordmann@example.no"
IDEA = "Flere lesesaler i Sandvika"


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def needles(name: str, email: str) -> list[bytes]:
    """Every form the name and address could take in the file."""
    forms = {name, name.casefold(), name.upper(), email, email.upper(), email.split("@")[0]}
    forms |= {json.dumps(form)[1:-1] for form in list(forms)}  # \\u escapes inside JSON
    forms |= set(name.split())
    return [form.encode() for form in forms]


# (kind, text, option labels) of the questions in both test surveys
QUESTIONS = (
    ("single", "Bruker du biblioteket?", ("Ja", "Nei")),
    ("multiple", "Hva låner du?", ("Bøker", "Film")),
    ("scale", "Hvor fornøyd er du?", ()),
    ("text", "Hva bør bli bedre?", ()),
)


def survey(session, title: str, *, anonymous: bool):
    s = Survey(title=title, anonymous=anonymous, status="open")
    session.add(s)
    session.flush()
    questions = [
        Question(survey_id=s.id, position=n, key=f"q{n}", kind=kind, text=text)
        for n, (kind, text, _) in enumerate(QUESTIONS, start=1)
    ]
    session.add_all(questions)
    session.flush()
    options = {
        label: Option(question_id=q.id, position=n, label=label)
        for q, (_, _, labels) in zip(questions, QUESTIONS, strict=True)
        for n, label in enumerate(labels)
    }
    session.add_all(options.values())
    session.flush()
    return s, questions, options


def answer(session, sheet, *, person: Participant, invitation: Invitation, idea: str) -> None:
    """A submitted sheet: linked to the person only when the survey is identified."""
    s, (single, multiple, scale, text), options = sheet
    response = Response(
        survey_id=s.id,
        invitation_id=invitation.id,
        participant_id=None if s.anonymous else person.id,
        age_band="35–49",
        gender="male",
        district="Sandvika",
        submitted_at=at(3, 5),
    )
    session.add(response)
    session.flush()
    values = [
        (single, {"option_id": options["Ja"].id}),
        (multiple, {"option_id": options["Bøker"].id}),
        (multiple, {"option_id": options["Film"].id}),
        (scale, {"number_value": 4.0}),
        (text, {"text_value": idea}),
    ]
    session.add_all(Answer(response_id=response.id, question_id=q.id, **v) for q, v in values)


def outbox(them: int, other: int) -> list[Message]:
    """Emails to both; the ones to Åsmund name him in the subject, body and headers."""
    long_tail = "Mer tekst. " * 800  # long enough to spill into overflow pages
    headers = {"To": f"{NAME} <{EMAIL}>", "List-Unsubscribe": f"<mailto:u+{EMAIL}>"}
    # fmt: off
    rows = [
        dict(dedupe_key="invite:1", participant_id=them, to_address=EMAIL, status="sent",
             subject=f"Hei {NAME}", body_text=f"Kjære {NAME}. {long_tail} Sendt til {EMAIL}.",
             body_html=f"<p>Kjære {NAME}</p>", headers=headers, created_at=at(3, 1),
             sent_at=at(3, 1, 13)),
        dict(dedupe_key="remind:1", participant_id=them, to_address=EMAIL, status="queued",
             subject="Påminnelse", body_text=f"Hei {NAME}", created_at=at(3, 3)),
        # A sign-up confirmation, sent before the address was tied to the row.
        dict(dedupe_key="confirm:x", participant_id=None, to_address=EMAIL.upper(),
             status="failed", subject="Bekreft", body_text=f"Bekreft {EMAIL}",
             created_at=at(2, 1), last_error=f"550 <{EMAIL}> mailbox full"),
        dict(dedupe_key="invite:2", participant_id=other, to_address=OTHER_EMAIL, status="sent",
             subject=f"Hei {OTHER}", body_text=f"Kjære {OTHER}", created_at=at(3, 1)),
    ]
    # fmt: on
    return [Message(kind=row["dedupe_key"].split(":")[0], **row) for row in rows]


@pytest.fixture
def panel(db):
    return build_panel(db)


def build_panel(db) -> dict[str, int]:
    """Åsmund with everything a panel can hold about someone, and Kari beside him."""
    with db.write() as session:
        session.add_all([Interest(name="Bibliotek"), Interest(name="Klima og miljø")])
    ids = {}
    for who, name, email in (("them", NAME, EMAIL), ("other", OTHER, OTHER_EMAIL)):
        data = ParticipantInput(
            name=name,
            email=email,
            gender="mann",
            birth_year="1980",
            district="Sandvika",
            interests=("Bibliotek", "Klima og miljø"),
            source="Budstikka",
        )
        ids[who] = create_participant(db, actor=ADMIN, data=data)
    with db.write() as session:
        them, other = session.get(Participant, ids["them"]), session.get(Participant, ids["other"])
        named = survey(session, "Biblioteket vårt", anonymous=False)
        anon = survey(session, "Klima i Bærum", anonymous=True)
        ids["named_survey"], ids["anon_survey"] = named[0].id, anon[0].id
        workshop = Event(title="Verksted om Fornebu", capacity=20)
        session.add(workshop)
        session.flush()
        for person, idea in ((them, IDEA), (other, "Lengre åpningstider")):
            for sheet, text in ((named, idea), (anon, "Sykkelveier")):
                invitation = Invitation(
                    survey_id=sheet[0].id,
                    participant_id=person.id,
                    token_hash=f"t{person.id}-{sheet[0].id}",
                    sent_at=at(3, 1),
                    reminded_at=at(3, 3),
                    completed_at=at(3, 5),
                )
                session.add(invitation)
                session.flush()
                answer(session, sheet, person=person, invitation=invitation, idea=text)
            session.add(
                EventInvite(
                    event_id=workshop.id,
                    participant_id=person.id,
                    token_hash=f"e{person.id}",
                    state="accepted",
                    invited_at=at(4, 1),
                    responded_at=at(4, 2),
                )
            )
        session.add_all(outbox(them.id, other.id))
        # Audit details must never hold personal data; these ones wrongly do.
        note = {"action": "participant.note", "target_kind": "participant"}
        session.add_all(
            [
                AuditEvent(
                    action="mail.bounced", target_kind="message", detail={"to": EMAIL.upper()}
                ),
                AuditEvent(**note, target_id=them.id, detail={"note": f"ringte {NAME}", "n": 1}),
                AuditEvent(**note, target_id=other.id, detail={"note": f"ringte {OTHER}"}),
            ]
        )
    return ids


def everything_as_text(db) -> str:
    """Every value in every table, as one string: what a logical search for a name would see."""
    parts = []
    with db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(table.select()):
                parts.append(" ".join(json.dumps(v, default=str, ensure_ascii=False) for v in row))
    return "\n".join(parts)


def logged(db, action: str) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_access_export_holds_everything_about_them(db, panel):
    export = access_export(db, actor=ADMIN, participant_id=panel["them"])
    data = json.loads(export.as_json())
    assert data == export.data
    person = data["participant"]
    assert (person["name"], person["email"], person["district"]) == (NAME, EMAIL, "Sandvika")
    assert person["created_at"].endswith("+00:00")
    assert data["interests"] == ["Bibliotek", "Klima og miljø"]
    assert {i["survey_title"] for i in data["invitations"]} == {"Biblioteket vårt", "Klima i Bærum"}
    [response] = data["responses"]  # the anonymous one is not linked to them
    assert response["survey_title"] == "Biblioteket vårt"
    assert response["answers"] == [
        {"question": "Bruker du biblioteket?", "answer": "Ja"},
        {"question": "Hva låner du?", "answer": ["Bøker", "Film"]},
        {"question": "Hvor fornøyd er du?", "answer": 4},
        {"question": "Hva bør bli bedre?", "answer": IDEA},
    ]
    assert data["workshops"] == [
        {
            "event_title": "Verksted om Fornebu",
            "volunteer_source": None,
            "asked_at": None,
            "volunteered_at": None,
            "declined_to_volunteer_at": None,
            "state": "accepted",
            "invited_at": "2025-04-01T12:00:00+00:00",
            "responded_at": "2025-04-02T12:00:00+00:00",
            "session_starts_at": None,
            "attended": None,
        }
    ]
    assert sorted(m["subject"] for m in data["messages"]) == [
        "Bekreft",
        f"Hei {NAME}",
        "Påminnelse",
    ]
    assert any(EMAIL in m["body_text"] for m in data["messages"])
    assert {"participant.created", "participant.note"} <= {e["action"] for e in data["audit"]}

    readable = export.as_text()
    for words in (
        "Innsyn: opplysninger vi har om deg",
        "Navn",
        NAME,
        "E-post",
        EMAIL,
        "Klima og miljø",
        "Biblioteket vårt",
        IDEA,
        "Bøker, Film",
        "Verksted om Fornebu",
        "Svar på anonyme undersøkelser er ikke knyttet til deg og kan ikke hentes ut.",
    ):
        assert words in readable
    assert OTHER not in readable and OTHER not in export.as_json()

    [event] = logged(db, "participant.access_exported")
    assert (event.target_kind, event.target_id) == ("participant", panel["them"])
    assert event.actor_name == ADMIN.username and event.detail is None


def test_erasure_removes_them_and_keeps_the_rest(db, panel):
    result = erase_participant(db, actor=ADMIN, participant_id=panel["them"])
    assert (result.interests_removed, result.responses_unlinked) == (2, 2)
    assert (result.messages_scrubbed, result.messages_cancelled) == (3, 1)
    assert result.audit_events_scrubbed == 2
    assert (result.invitations_kept, result.workshop_invites_kept) == (2, 1)
    assert result.storage_cleaned

    dump = everything_as_text(db)
    for form in needles(NAME, EMAIL):
        assert form.decode() not in dump
    assert OTHER in dump and OTHER_EMAIL in dump

    with db.read() as session:
        them = session.get(Participant, panel["them"])
        assert them.status == "erased" and them.erased_at is not None
        personal = ("name", "email", "email_key", "gender", "birth_year", "district")
        personal += ("source", "consent_version", "consent_note")
        assert [getattr(them, field) for field in personal] == [None] * len(personal)
        links = session.exec(select(ParticipantInterest.participant_id)).all()
        assert links == [panel["other"], panel["other"]]
        responses = {
            (r.survey_id, r.participant_id, r.invitation_id is None, r.age_band)
            for r in session.exec(select(Response))
        }
        named, anon = panel["named_survey"], panel["anon_survey"]
        assert responses == {
            (named, None, True, None),  # theirs, identified: unlinked, demographics gone
            (anon, None, True, "35–49"),  # theirs, anonymous: kept for the breakdowns
            (named, panel["other"], False, "35–49"),
            (anon, None, False, "35–49"),
        }
        ideas = session.exec(select(Answer.text_value).where(col(Answer.text_value).is_not(None)))
        assert sorted(ideas) == sorted([IDEA, "Lengre åpningstider", "Sykkelveier", "Sykkelveier"])
        invitations = session.exec(
            select(Invitation).where(Invitation.participant_id == panel["them"])
        ).all()
        assert [i.token_hash[:7] for i in invitations] == ["erased:"] * 2  # old links are dead
        statuses = sorted(m.status for m in session.exec(select(Message)) if m.to_address is None)
        assert statuses == ["cancelled", "failed", "sent"]
        assert not session.exec(
            select(Message).where(Message.participant_id == panel["them"])
        ).all()
        note = session.exec(
            select(AuditEvent).where(
                AuditEvent.target_id == panel["them"], AuditEvent.action == "participant.note"
            )
        ).one()
        assert note.detail == {"note": ERASED, "n": 1}
    [erased] = logged(db, "participant.erased")
    assert (erased.target_kind, erased.target_id) == ("participant", panel["them"])


def test_erasing_twice_or_reading_the_erased_is_refused(db, panel):
    erase_participant(db, actor=ADMIN, participant_id=panel["them"])
    for call in (erase_participant, access_export, participant_history):
        with pytest.raises(NotFound):
            call(db, actor=ADMIN, participant_id=panel["them"])
    with pytest.raises(NotFound):
        erase_participant(db, actor=ADMIN, participant_id=999_999)
    assert len(logged(db, "participant.erased")) == 1


def test_only_admins_export_and_erase(db, key, panel):
    make_staff(db, key, "redaktor", Role.editor)
    make_staff(db, key, "analytiker", Role.analyst)
    for username in ("redaktor", "analytiker"):
        actor = actor_for(db, username)
        for call in (access_export, erase_participant):
            with pytest.raises(PermissionDenied):
                call(db, actor=actor, participant_id=panel["them"])
    with pytest.raises(PermissionDenied):
        participant_history(db, actor=actor_for(db, "analytiker"), participant_id=panel["them"])
    with db.read() as session:
        them = session.get(Participant, panel["them"])
    assert them.name == NAME


def test_history_lists_contacts_newest_first(db, key, panel):
    make_staff(db, key, "redaktor", Role.editor)
    history = participant_history(db, actor=actor_for(db, "redaktor"), participant_id=panel["them"])
    assert [item.at for item in history] == sorted((item.at for item in history), reverse=True)
    assert history[0].kind == "workshop" and "Verksted om Fornebu" in history[0].description
    kinds = [item.kind for item in history]
    assert kinds.count("invitation") == kinds.count("reminder") == kinds.count("answer") == 2
    assert kinds.count("email") == 3
    assert any(
        "Påminnelse" in item.description and "queued" in item.description for item in history
    )
    assert all(OTHER not in item.description for item in history)


def file_bytes(path) -> dict[str, bytes]:
    """The database file and whatever WAL and shared-memory files sit beside it."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


def found(files: dict[str, bytes], forms: list[bytes]) -> list[tuple[str, str]]:
    return [(name, form.decode()) for name, data in files.items() for form in forms if form in data]


def test_erased_name_and_address_leave_the_sqlite_files(sqlite_db):
    db, path = sqlite_db, sqlite_db.sqlite_path
    with db.write() as session:  # enough people that every table and index spans many pages
        session.add_all(
            Participant(
                name=f"Person {i} Olsen",
                email=f"p{i}@example.no",
                email_key=f"p{i}@example.no",
                status="active",
            )
            for i in range(600)
        )
    ids = build_panel(db)
    forms = needles(NAME, EMAIL)
    # Other processes keep connections open in production, so the WAL outlives our writes.
    bystander = sqlite3.connect(path)
    try:
        bystander.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # old copies in the main file too
        assert found(file_bytes(path), forms), "the test data never reached the file"

        erase_participant(db, actor=ADMIN, participant_id=ids["them"])
        assert found(file_bytes(path), forms) == []  # while everything is still open
    finally:
        bystander.close()
    db.dispose()
    assert found(file_bytes(path), forms) == []
    assert found(file_bytes(path), [OTHER.encode(), OTHER_EMAIL.encode(), IDEA.encode()]) != []


def vacuum_counts(db) -> dict[str, int]:
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT relname, vacuum_count FROM pg_stat_user_tables"))
        return {name: count for name, count in rows}


def test_erasure_cleans_up_storage(db, panel):
    """SQLite: the WAL checkpoint went through. PostgreSQL: the touched tables were vacuumed."""
    before = {} if db.is_sqlite else vacuum_counts(db)
    result = erase_participant(db, actor=ADMIN, participant_id=panel["them"])
    assert result.storage_cleaned
    if not db.is_sqlite:
        after = vacuum_counts(db)
        for table in ("participant", "message", "audit_event", "answer", "response"):
            assert after[table] > before[table]
