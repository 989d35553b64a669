"""Choosing recipients and queueing their invitations and reminders, on both engines."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from mail.compose import survey_letters
from store.actors import Actor
from store.errors import Invalid, Refused
from store.links import (
    TOKEN,
    UNSUBSCRIBE_CODE,
    link_parts,
    token_hash,
    unsubscribe_code_ok,
    unsubscribe_link,
)
from store.models import (
    AuditEvent,
    Invitation,
    Message,
    Participant,
    PopulationCell,
    SendBatch,
)
from store.models import (
    Letter as LetterRow,
)
from store.sampling import Selection, plan_send
from store.sealing import fill
from store.sending import Mailing, message_content, queue_invitations, queue_reminders
from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec
from store.surveys import create_survey, set_survey_status
from store.timeutil import utcnow

ADMIN = Actor.operator()
MAILING = Mailing(
    mail_from="Bærum kommune <innbyggerpanel@baerum.kommune.no>", base_url="https://p.example"
)
YEAR = utcnow().year


def letters(kind: str = "invitation"):
    return survey_letters(
        kind, title="Klima", intro="Hva mener du?", anonymous=True, closes_on=None,
        mail_from=MAILING.mail_from,
    )  # fmt: skip


def open_survey(db, title: str = "Klima", **schedule) -> int:
    spec = SurveySpec(
        title=title,
        questions=[
            QuestionSpec("a", "single", "Ja?", options=[OptionSpec("Ja"), OptionSpec("Nei")])
        ],
        **schedule,
    )
    survey_id = create_survey(db, actor=ADMIN, spec=spec)
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="open")
    return survey_id


def panel(db, young: int = 20, old: int = 80, **extra) -> None:
    """`young` women aged 20 and `old` men aged 60, active, plus whatever `extra` says."""
    with db.write() as session:
        for n in range(young):
            session.add(person(f"ung{n}", gender="female", birth_year=YEAR - 20, **extra))
        for n in range(old):
            session.add(person(f"eldre{n}", gender="male", birth_year=YEAR - 60, **extra))


def person(key: str, **fields) -> Participant:
    values = dict(name=f"Person {key}", email=f"{key}@example.no", email_key=f"{key}@example.no")
    values.update(status="active", language="nb")
    values.update(fields)
    return Participant(**values)


def test_the_whole_panel_leaving_out_the_recently_contacted_and_the_inactive(db, key) -> None:
    survey_id = open_survey(db)
    panel(db, young=3, old=3)
    recently = utcnow() - timedelta(days=5)
    with db.write() as session:
        session.add(person("nylig", last_contacted_at=recently))
        session.add(person("lenge", last_contacted_at=utcnow() - timedelta(days=60)))
        session.add(person("pause", status="paused"))
        session.add(person("bounce", undeliverable_at=utcnow()))
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection())
    assert plan.matching == 8 and len(plan.chosen) == 7
    assert plan.left_out == {"contacted_recently": 1}
    changed = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection(rest_days=3))
    assert len(changed.chosen) == 8 and changed.left_out == {}


def test_the_same_seed_draws_the_same_people_and_another_seed_others(db) -> None:
    survey_id = open_survey(db)
    panel(db, young=40, old=60)
    rule = Selection(method="simple", size=10, seed=42)
    first = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=rule)
    again = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=rule)
    other = plan_send(
        db, actor=ADMIN, survey_id=survey_id, selection=Selection(method="simple", size=10, seed=7)
    )
    assert first.chosen == again.chosen and len(set(first.chosen)) == 10
    assert first.chosen != other.chosen
    fresh = plan_send(
        db, actor=ADMIN, survey_id=survey_id, selection=Selection(method="simple", size=10)
    )
    assert fresh.seed is not None  # drawn, and recorded with the send


def test_stratified_in_proportion_to_the_panel_and_to_the_population(db) -> None:
    survey_id = open_survey(db)
    panel(db, young=20, old=80)
    by_panel = plan_send(
        db, actor=ADMIN, survey_id=survey_id,
        selection=Selection(method="stratified", size=10, seed=1),
    )  # fmt: skip
    chosen = {(s.age_band, s.gender): s.chosen for s in by_panel.strata}
    assert chosen == {("16–24", "female"): 2, ("50–66", "male"): 8}
    with db.write() as session:  # the population is half young women, half older men
        session.add(
            PopulationCell(district="Sandvika", gender="female", age_band="16–24", count=500)
        )
        session.add(PopulationCell(district="Sandvika", gender="male", age_band="50–66", count=500))
    by_population = plan_send(
        db, actor=ADMIN, survey_id=survey_id,
        selection=Selection(method="stratified", size=10, seed=1, proportional_to="population"),
    )  # fmt: skip
    chosen = {(s.age_band, s.gender): s.chosen for s in by_population.strata}
    assert chosen == {("16–24", "female"): 5, ("50–66", "male"): 5}
    # More young people wanted than there are: the shortfall goes to the other stratum.
    short = plan_send(
        db, actor=ADMIN, survey_id=survey_id,
        selection=Selection(method="stratified", size=60, seed=1, proportional_to="population"),
    )  # fmt: skip
    chosen = {(s.age_band, s.gender): s.chosen for s in short.strata}
    assert chosen == {("16–24", "female"): 20, ("50–66", "male"): 40}


def test_bad_rules_are_refused_with_the_field() -> None:
    with pytest.raises(Invalid, match="size"):
        plan_send(None, actor=ADMIN, survey_id=1, selection=Selection(method="simple"))  # type: ignore[arg-type]
    with pytest.raises(Invalid, match="age_bands"):
        plan_send(None, actor=ADMIN, survey_id=1, selection=Selection(age_bands=("10–12",)))  # type: ignore[arg-type]


def test_invitations_and_their_emails_are_written_together(db, key) -> None:
    survey_id = open_survey(db)
    panel(db, young=2, old=3)
    with db.write() as session:
        session.add(person("engelsk", name="Emma <Smith>", language="en"))
        session.add(person("ukjent", language="xx"))  # a language without a letter: nb
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection())
    queued = queue_invitations(db, key, actor=ADMIN, plan=plan, letters=letters(), mailing=MAILING)
    assert (queued.queued, queued.skipped) == (7, 0)
    with db.read() as session:
        invitations = session.exec(select(Invitation)).all()
        messages = {m.participant_id: m for m in session.exec(select(Message)).all()}
        batch = session.exec(select(SendBatch)).one()
        emma = session.exec(select(Participant).where(Participant.name == "Emma <Smith>")).one()
        audit = session.exec(select(AuditEvent).where(AuditEvent.action.like("survey.inv%"))).one()
    assert len(invitations) == 7 and set(messages) == {i.participant_id for i in invitations}
    assert batch.seed == plan.seed and batch.size == 7 and batch.summary["chosen"] == 7
    assert audit.detail["queued"] == 7 and "Emma" not in str(audit.detail)
    assert emma.last_contacted_at is not None
    mail = messages[emma.id]
    assert (
        mail.to_address == "engelsk@example.no"
        and mail.dedupe_key == f"invite:{survey_id}:{emma.id}"
    )
    with db.read() as session:
        content = message_content(session, session.get(Message, mail.id))
    assert "Hello Emma <Smith>," in content.text and "Emma &lt;Smith&gt;" in content.html
    assert content.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.message_id.endswith("@baerum.kommune.no>")
    # Every row: queued for this survey and batch, its own Message-ID, the letter in the
    # person's language.
    with db.read() as session:
        languages = {row.id: row.language for row in session.exec(select(LetterRow))}
    assert len({m.message_id for m in messages.values()}) == 7
    assert all(
        (m.status, m.kind, m.survey_id, m.batch_id, m.attempts) ==
        ("queued", "invitation", survey_id, batch.id, 0) and m.created_at is not None
        for m in messages.values()
    )  # fmt: skip
    assert {pid: languages[m.letter_id] for pid, m in messages.items()} == {
        pid: "en" if pid == emma.id else "nb" for pid in messages
    }
    # The personal link is nowhere in the database: the letter holds templates, the row nothing
    # secret, and the link is made from the invitation's salt with the key only.
    assert f"https://p.example/s/{TOKEN}" in content.text
    assert "https://p.example/u/[[participant]]/[[unsubscribe-code]]" in content.text
    assert mail.sealed is None and mail.fields is None
    invitation = next(i for i in invitations if i.participant_id == emma.id)
    parts = link_parts(key, emma.id, invitation.link_salt)
    assert token_hash(key, parts[TOKEN]) == invitation.token_hash
    unsubscribe = fill(content.headers["List-Unsubscribe"], parts)
    assert unsubscribe == f"<{unsubscribe_link(key, 'https://p.example', emma.id)}>"
    assert unsubscribe_code_ok(key, emma.id, parts[UNSUBSCRIBE_CODE])
    # A second send leaves out those already invited (and, by the rule, the contacted).
    again = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection(rest_days=0))
    assert again.chosen == [] and again.left_out == {"already_invited": 7}


def test_a_failed_send_writes_nothing(db, key) -> None:
    survey_id = open_survey(db)
    panel(db, young=2, old=2)
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection())
    broken = {"nb": letters()["nb"]}  # no English letter: fine for nb readers
    with db.write() as session:
        session.add(person("sist", language="xx"))  # falls back to nb
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="closed")
    with pytest.raises(Refused, match="open it before sending"):
        queue_invitations(db, key, actor=ADMIN, plan=plan, letters=broken, mailing=MAILING)
    with db.read() as session:
        for table in (Invitation, Message, SendBatch):
            assert session.exec(select(func.count()).select_from(table)).one() == 0
        assert all(p.last_contacted_at is None for p in session.exec(select(Participant)))


def test_reminders_go_to_those_who_have_not_answered_up_to_the_maximum(db, key) -> None:
    survey_id = open_survey(db)
    panel(db, young=2, old=2)
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection())
    queue_invitations(db, key, actor=ADMIN, plan=plan, letters=letters(), mailing=MAILING)
    with db.write() as session:
        done = session.exec(select(Invitation)).first()
        done.completed_at = utcnow()
        session.add(done)
    first = queue_reminders(
        db, actor=ADMIN, survey_id=survey_id, letters=letters("reminder"), mailing=MAILING
    )
    assert first.queued == 3
    second = queue_reminders(
        db, actor=ADMIN, survey_id=survey_id, letters=letters("reminder"), mailing=MAILING
    )
    assert second.queued == 0  # the default maximum is one reminder
    with db.read() as session:
        reminders = session.exec(select(Message).where(Message.kind == "reminder")).all()
        invitations = {i.participant_id: i for i in session.exec(select(Invitation))}
    assert Counter(m.dedupe_key.rsplit(":", 1)[1] for m in reminders) == {"1": 3}
    for reminder in reminders:  # the reminder repeats the invitation's link
        salt = invitations[reminder.participant_id].link_salt
        assert reminder.sealed is None and salt
        with db.read() as session:  # the reminder's letter holds the same link
            assert f"/s/{TOKEN}" in message_content(session, reminder).text
        with db.read() as session:
            assert message_content(session, reminder).subject.startswith("Påminnelse: Klima")
    due = queue_reminders(
        db, actor=ADMIN, survey_id=survey_id, letters=letters("reminder"), mailing=MAILING,
        due_only=True,
    )  # fmt: skip
    assert due.queued == 0  # no reminder interval is set for this survey


def test_filters_narrow_the_panel(db) -> None:
    survey_id = open_survey(db)
    panel(db, young=3, old=5, district="Sandvika")
    with db.write() as session:
        session.add(person("fornebu", district="Fornebu", gender="female", birth_year=YEAR - 30))

    def chosen(**rule) -> int:
        selection = Selection(**rule)
        return len(plan_send(db, actor=ADMIN, survey_id=survey_id, selection=selection).chosen)

    assert chosen() == 9
    assert chosen(age_bands=("16–24",)) == 3
    assert chosen(age_bands=("16–24", "25–34")) == 4
    assert chosen(genders=("male",)) == 5
    assert chosen(districts=("Fornebu",)) == 1
    assert chosen(districts=("Sandvika",), genders=("female",)) == 3
