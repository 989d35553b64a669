"""Workshops: events and sessions, volunteers, the draw, invitations, places and the waiting
list, reminders and attendance, on both engines."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import icalendar
import pytest
from sqlmodel import select

from mail.compose import event_mail
from store.actors import Actor
from store.errors import Invalid, NotFound, Refused
from store.event_draw import DrawRequest, invite_drawn, plan_draw, repeat_draw
from store.events import (
    add_session,
    add_volunteer,
    call_token,
    cancel_invite,
    create_event,
    event_view,
    fill_free_places,
    invite_token,
    plan_call,
    queue_call,
    queue_session_reminders,
    record_attendance,
    update_session,
    volunteer_list,
    volunteers_from_survey,
)
from store.history import participant_history
from store.links import unsubscribe_code
from store.models import EventInvite, EventSession, Message, Participant, PopulationCell
from store.participants import set_status as set_participant_status
from store.privacy import erase_participant
from store.residents import Choice, choose
from store.rsvp import RsvpOutcome, answer_call, answer_invite, call_view, rsvp_calendar, rsvp_view
from store.sampling import Selection, plan_send
from store.sealing import LINK, open_links
from store.timeutil import utcnow

from .test_sending import YEAR, open_survey, person

ADMIN = Actor.operator()
MAIL = event_mail(
    mail_from="Bærum kommune <innbyggerpanel@baerum.kommune.no>", base_url="https://p.example"
)


def people(db, count: int, **fields) -> list[int]:
    with db.write() as session:
        rows = [
            person(f"{fields.get('gender', 'x')}{n}-{id(fields)}", **fields) for n in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def workshop(db, *capacities: int, days: int = 14) -> tuple[int, list[int]]:
    event_id = create_event(
        db,
        actor=ADMIN,
        title="Min side – verksted",
        location="Rådhuset",
        description="Vi utvikler Min side sammen.",
    )
    start = (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)
    sessions = [
        add_session(
            db,
            actor=ADMIN,
            event_id=event_id,
            starts_at=start + timedelta(days=n),
            ends_at=start + timedelta(days=n, hours=2),
            capacity=c,
            label=f"Økt {n + 1}",
        )
        for n, c in enumerate(capacities)
    ]
    return event_id, sessions


def invited(db, key, event_id: int, ids: list[int]) -> dict[int, str]:
    """Make `ids` volunteers, draw them all and invite them; their links' tokens by id."""
    for participant_id in ids:
        add_volunteer(db, actor=ADMIN, event_id=event_id, participant_id=participant_id)
    plan = plan_draw(
        db, actor=ADMIN, event_id=event_id, request=DrawRequest(size=len(ids), method="random")
    )
    invite_drawn(db, key, actor=ADMIN, plan=plan, mail=MAIL)
    with db.read() as session:
        rows = session.exec(select(EventInvite).where(EventInvite.event_id == event_id)).all()
        return {row.participant_id: invite_token(key, row.link_salt) for row in rows}


def states(db, event_id: int) -> Counter:
    with db.read() as session:
        rows = session.exec(select(EventInvite).where(EventInvite.event_id == event_id)).all()
        return Counter((row.state, row.session_id) for row in rows)


def test_sessions_are_checked_and_an_event_needs_a_title(db) -> None:
    with pytest.raises(Invalid, match="title"):
        create_event(db, actor=ADMIN, title="  ")
    event_id, _ = workshop(db, 10)
    start = utcnow()
    with pytest.raises(Invalid, match="end after"):
        add_session(db, actor=ADMIN, event_id=event_id, starts_at=start, ends_at=start, capacity=5)
    with pytest.raises(Invalid, match="capacity"):
        add_session(
            db,
            actor=ADMIN,
            event_id=event_id,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=0,
        )
    with pytest.raises(Invalid, match="time zone"):
        add_session(
            db,
            actor=ADMIN,
            event_id=event_id,
            starts_at=start.replace(tzinfo=None),
            ends_at=start.replace(tzinfo=None) + timedelta(hours=1),
            capacity=5,
        )


def test_a_call_for_volunteers_asks_a_sample_and_their_answers_make_the_list(db, key) -> None:
    people(db, 30, gender="female", birth_year=YEAR - 30)
    event_id, _ = workshop(db, 10)
    plan = plan_call(
        db,
        actor=ADMIN,
        event_id=event_id,
        selection=Selection(method="simple", size=12, seed=7, rest_days=0),
    )
    queued = queue_call(db, key, actor=ADMIN, event_id=event_id, plan=plan, mail=MAIL)
    assert queued.queued == 12
    with db.read() as session:
        messages = session.exec(select(Message).where(Message.kind == "event-call")).all()
        tokens = [open_links(key, m.sealed)[LINK].rsplit("/", 1)[1] for m in messages]
        contacted = session.exec(
            select(Participant).where(Participant.last_contacted_at.is_not(None))  # type: ignore[union-attr]
        ).all()
    assert len(messages) == 12 and len(contacted) == 12
    assert all(m.event_id == event_id for m in messages)
    # Asked again: nobody twice.
    again = plan_call(db, actor=ADMIN, event_id=event_id, selection=Selection(rest_days=0))
    assert again.left_out["already_invited"] == 12 and len(again.chosen) == 18
    # Five say yes, one says no and then yes after all, one says no.
    for token in tokens[:5]:
        assert answer_call(db, key, token, yes=True).answer == "yes"
    answer_call(db, key, tokens[5], yes=False)
    assert answer_call(db, key, tokens[5], yes=True).answer == "yes"
    assert answer_call(db, key, tokens[6], yes=False).answer == "no"
    assert call_view(db, key, tokens[7]).answer is None
    assert call_view(db, key, "x" * 32) is None
    view = event_view(db, actor=ADMIN, event_id=event_id)
    assert (view.asked, view.volunteers) == (12, 6)
    assert len(volunteer_list(db, actor=ADMIN, event_id=event_id)) == 6


def test_volunteers_from_a_question_in_an_identified_survey(db, key) -> None:
    from store.models import Answer, Option, Question, Response
    from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec
    from store.surveys import create_survey

    spec = SurveySpec(
        title="Min side",
        anonymous=False,
        questions=[
            QuestionSpec(
                "workshop",
                "single",
                "Kan vi invitere deg?",
                options=[OptionSpec("Ja"), OptionSpec("Nei")],
            )
        ],
    )
    survey_id = create_survey(db, actor=ADMIN, spec=spec)
    ids = people(db, 6, gender="male", birth_year=YEAR - 40)
    with db.write() as session:
        question = session.exec(select(Question).where(Question.survey_id == survey_id)).one()
        options = {
            o.label: o.id
            for o in session.exec(select(Option).where(Option.question_id == question.id))
        }
        for n, participant_id in enumerate(ids):
            response = Response(survey_id=survey_id, participant_id=participant_id)
            session.add(response)
            session.flush()
            session.add(
                Answer(
                    response_id=response.id,
                    question_id=question.id,
                    option_id=options["Ja" if n < 4 else "Nei"],
                )
            )
    event_id, _ = workshop(db, 10)
    added = volunteers_from_survey(
        db, actor=ADMIN, event_id=event_id, survey_id=survey_id, question="workshop", option="Ja"
    )
    assert added == 4
    assert (
        volunteers_from_survey(
            db,
            actor=ADMIN,
            event_id=event_id,
            survey_id=survey_id,
            question="workshop",
            option="Ja",
        )
        == 0
    )
    assert {v.participant_id for v in volunteer_list(db, actor=ADMIN, event_id=event_id)} == set(
        ids[:4]
    )
    with pytest.raises(Invalid, match="option"):
        volunteers_from_survey(
            db,
            actor=ADMIN,
            event_id=event_id,
            survey_id=survey_id,
            question="workshop",
            option="Kanskje",
        )


def test_the_draw_is_recorded_repeatable_and_stratified(db, key) -> None:
    young = [
        *people(db, 5, gender="female", birth_year=YEAR - 22, district="Sandvika"),
        *people(db, 5, gender="female", birth_year=YEAR - 22, district="Stabekk"),
    ]
    old = [
        *people(db, 15, gender="male", birth_year=YEAR - 60, district="Bekkestua"),
        *people(db, 15, gender="male", birth_year=YEAR - 60, district="Stabekk"),
    ]
    event_id, _ = workshop(db, 10, 10)
    for participant_id in young + old:
        add_volunteer(db, actor=ADMIN, event_id=event_id, participant_id=participant_id)
    request = DrawRequest(size=8, method="stratified", seed=1234)
    first = plan_draw(db, actor=ADMIN, event_id=event_id, request=request)
    second = plan_draw(db, actor=ADMIN, event_id=event_id, request=request)
    assert first.chosen == second.chosen and len(first.chosen) == 8
    other = plan_draw(db, actor=ADMIN, event_id=event_id, request=DrawRequest(size=8, seed=99))
    assert set(other.chosen) != set(first.chosen)
    # By age band × gender × district, in proportion to the volunteers: 5, 5, 15 and 15 of 40.
    assert {s.group: s.chosen for s in first.strata} == {
        ("16–24", "female", "Sandvika"): 1,
        ("16–24", "female", "Stabekk"): 1,
        ("50–66", "male", "Bekkestua"): 3,
        ("50–66", "male", "Stabekk"): 3,
    }
    assert sum(1 for i in first.chosen if i in young) == 2
    # By district alone, which cuts across age and gender: 5, 15 and 20 of 40.
    by_district = plan_draw(
        db, actor=ADMIN, event_id=event_id,
        request=DrawRequest(size=8, strata=("district",), seed=3),
    )  # fmt: skip
    with db.read() as session:
        district = dict(session.exec(select(Participant.id, Participant.district)).all())
    assert Counter(district[i] for i in by_district.chosen) == {
        "Sandvika": 1, "Bekkestua": 3, "Stabekk": 4
    }  # fmt: skip
    # Favouring the under-represented: seats in proportion to the population (3 young women to
    # 7 older men), not to the volunteers (1 to 3), nor equal.
    with db.write() as session:
        for district_name, gender, band, count in (
            ("Sandvika", "female", "16–24", 150), ("Stabekk", "female", "16–24", 150),
            ("Bekkestua", "male", "50–66", 350), ("Stabekk", "male", "50–66", 350),
        ):  # fmt: skip
            session.add(
                PopulationCell(district=district_name, gender=gender, age_band=band, count=count)
            )
    favoured = plan_draw(
        db,
        actor=ADMIN,
        event_id=event_id,
        request=DrawRequest(size=20, strata=("age_band", "gender"), favour=True, seed=5),
    )
    assert {s.group: s.chosen for s in favoured.strata} == {
        ("16–24", "female"): 6, ("50–66", "male"): 14
    }  # fmt: skip
    assert sum(1 for i in favoured.chosen if i in young) == 6
    assert "population" in favoured.explain()
    queued = invite_drawn(db, key, actor=ADMIN, plan=favoured, mail=MAIL)
    assert queued.queued == 20
    view = event_view(db, actor=ADMIN, event_id=event_id)
    assert len(view.draws) == 1 and view.draws[0].seed == 5 and view.draws[0].pool == 40
    same, chosen = repeat_draw(db, actor=ADMIN, draw_id=view.draws[0].id)
    assert same and chosen == favoured.chosen
    # Those invited are not drawn again.
    rest = plan_draw(db, actor=ADMIN, event_id=event_id, request=DrawRequest(size=40, seed=1))
    assert rest.left_out["already_invited"] == 20 and len(rest.chosen) == 20


def test_places_are_given_until_full_then_the_waiting_list_moves_up(db, key) -> None:
    ids = people(db, 5, gender="female", birth_year=YEAR - 30)
    event_id, (first, second) = workshop(db, 2, 10)
    tokens = invited(db, key, event_id, ids)
    a, b, c, d, e = (tokens[i] for i in ids)
    assert answer_invite(db, key, a, session_id=first, mail=MAIL)[0] == RsvpOutcome.accepted
    assert answer_invite(db, key, b, session_id=first, mail=MAIL)[0] == RsvpOutcome.accepted
    outcome, view = answer_invite(db, key, c, session_id=first, mail=MAIL)
    assert outcome == RsvpOutcome.waitlisted and view.waitlist_position == 1
    outcome, view = answer_invite(db, key, d, session_id=first, mail=MAIL)
    assert outcome == RsvpOutcome.waitlisted and view.waitlist_position == 2
    assert answer_invite(db, key, a, session_id=first, mail=MAIL)[0] == RsvpOutcome.unchanged
    # a moves to the second session: c, first in line, gets the place.
    assert answer_invite(db, key, a, session_id=second, mail=MAIL)[0] == RsvpOutcome.accepted
    assert rsvp_view(db, key, c).state == "accepted"
    assert rsvp_view(db, key, d).waitlist_position == 1
    # b declines: d gets the place.
    assert answer_invite(db, key, b, session_id=None, mail=MAIL)[0] == RsvpOutcome.declined
    assert rsvp_view(db, key, d).state == "accepted"
    assert states(db, event_id)[("accepted", first)] == 2
    # e waits; staff add a place: e is in.
    assert answer_invite(db, key, e, session_id=first, mail=MAIL)[0] == RsvpOutcome.waitlisted
    with db.read() as session:
        row = session.get(EventSession, first)
    promoted = update_session(
        db,
        key,
        actor=ADMIN,
        session_id=first,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        capacity=3,
        mail=MAIL,
    )
    assert promoted == 1 and rsvp_view(db, key, e).state == "accepted"
    with pytest.raises(Invalid, match="already have a place"):
        update_session(
            db,
            key,
            actor=ADMIN,
            session_id=first,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            capacity=1,
            mail=MAIL,
        )
    # Each promotion and each answer wrote to the resident; the promoted ones say so.
    with db.read() as session:
        place = session.exec(select(Message).where(Message.kind == "event-place")).all()
    subjects = Counter(m.subject.split(":")[0] for m in place)
    assert subjects["Du har fått plass"] == 3  # c, d and e
    assert subjects["Du står på venteliste"] == 3
    assert all(m.attachments for m in place if m.subject.startswith("Du er påmeldt"))


def test_staff_cancelling_a_place_promotes_and_attendance_comes_after(db, key) -> None:
    ids = people(db, 2, gender="male", birth_year=YEAR - 50)
    event_id, (only,) = workshop(db, 1)
    tokens = invited(db, key, event_id, ids)
    answer_invite(db, key, tokens[ids[0]], session_id=only, mail=MAIL)
    answer_invite(db, key, tokens[ids[1]], session_id=only, mail=MAIL)
    invites = {i.participant_id: i for i in event_view(db, actor=ADMIN, event_id=event_id).invites}
    with pytest.raises(Refused, match="not started"):
        record_attendance(db, actor=ADMIN, invite_id=invites[ids[0]].id, attended=True)
    assert cancel_invite(db, key, actor=ADMIN, invite_id=invites[ids[0]].id, mail=MAIL) == 1
    assert rsvp_view(db, key, tokens[ids[0]]) is None  # a cancelled link opens nothing
    with pytest.raises(Refused, match="withdrawn already"):
        cancel_invite(db, key, actor=ADMIN, invite_id=invites[ids[0]].id, mail=MAIL)
    assert rsvp_view(db, key, tokens[ids[1]]).state == "accepted"
    with db.write() as session:  # the session took place yesterday
        row = session.get(EventSession, only)
        row.starts_at, row.ends_at = utcnow() - timedelta(days=1), utcnow() - timedelta(hours=22)
        session.add(row)
    record_attendance(db, actor=ADMIN, invite_id=invites[ids[1]].id, attended=True)
    view = event_view(db, actor=ADMIN, event_id=event_id)
    assert view.sessions[0].attended == 1
    with pytest.raises(Refused):
        record_attendance(db, actor=ADMIN, invite_id=invites[ids[0]].id, attended=True)
    # The closed session takes no more answers.
    assert answer_invite(db, key, tokens[ids[1]], session_id=None, mail=MAIL)[0] == (
        RsvpOutcome.closed
    )
    history = participant_history(db, actor=ADMIN, participant_id=ids[1])
    kinds = [item.kind for item in history]
    assert "workshop" in kinds and "email" in kinds


@pytest.mark.parametrize("answering", [12])
def test_concurrent_accepts_never_exceed_the_places(db, key, answering) -> None:
    ids = people(db, answering, gender="female", birth_year=YEAR - 35)
    event_id, (only,) = workshop(db, 5)
    tokens = list(invited(db, key, event_id, ids).values())
    barrier = threading.Barrier(len(tokens))
    outcomes: list[RsvpOutcome] = []
    errors: list[BaseException] = []

    def accept(token: str) -> None:
        try:
            barrier.wait()
            outcomes.append(answer_invite(db, key, token, session_id=only, mail=MAIL)[0])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=accept, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert Counter(outcomes) == {RsvpOutcome.accepted: 5, RsvpOutcome.waitlisted: answering - 5}
    assert states(db, event_id)[("accepted", only)] == 5
    assert event_view(db, actor=ADMIN, event_id=event_id).sessions[0].free == 0


def test_the_calendar_files_parse_back(db, key) -> None:
    ids = people(db, 1, gender="female", birth_year=YEAR - 35)
    event_id, (_first, second) = workshop(db, 5, 5)
    token = invited(db, key, event_id, ids)[ids[0]]
    both = icalendar.Calendar.from_ical(rsvp_calendar(db, key, token, MAIL.mailing))
    assert len(both.walk("VEVENT")) == 2
    answer_invite(db, key, token, session_id=second, mail=MAIL)
    mine = icalendar.Calendar.from_ical(rsvp_calendar(db, key, token, MAIL.mailing))
    (entry,) = mine.walk("VEVENT")
    with db.read() as session:
        row = session.get(EventSession, second)
        attached = session.exec(select(Message).where(Message.kind == "event-place")).one()
    assert entry.decoded("dtstart") == row.starts_at
    assert entry.decoded("dtend") == row.ends_at
    assert str(entry["summary"]) == "Min side – verksted – Økt 2"
    assert str(entry["location"]) == "Rådhuset"
    assert str(entry["uid"]).startswith(f"panel-session-{second}@")
    file = attached.attachments[0]
    assert file["filename"].endswith(".ics") and file["content_type"].startswith("text/calendar")
    sent = icalendar.Calendar.from_ical(file["text"])
    assert sent.walk("VEVENT")[0]["uid"] == entry["uid"]
    for line in file["text"].split("\r\n"):
        assert len(line.encode()) <= 75


def test_the_reminder_goes_the_day_before_once(db, key) -> None:
    ids = people(db, 3, gender="male", birth_year=YEAR - 45)
    event_id, (soon,) = workshop(db, 5, days=1)
    tokens = invited(db, key, event_id, ids)
    answer_invite(db, key, tokens[ids[0]], session_id=soon, mail=MAIL)
    answer_invite(db, key, tokens[ids[1]], session_id=soon, mail=MAIL)
    with db.read() as session:
        starts = session.get(EventSession, soon).starts_at
    too_early = starts - timedelta(days=3)
    assert queue_session_reminders(db, key, mail=MAIL, now=too_early) == 0
    day_before = starts - timedelta(days=1)
    assert queue_session_reminders(db, key, mail=MAIL, now=day_before) == 2
    assert queue_session_reminders(db, key, mail=MAIL, now=day_before) == 0
    with db.read() as session:
        reminders = session.exec(select(Message).where(Message.kind == "event-reminder")).all()
    assert {m.participant_id for m in reminders} == {ids[0], ids[1]}
    assert all(m.attachments and m.subject.endswith("i morgen") for m in reminders)


def test_links_only_open_their_own_row(db, key) -> None:
    ids = people(db, 1, gender="male", birth_year=YEAR - 45)
    event_id, (only,) = workshop(db, 5)
    token = invited(db, key, event_id, ids)[ids[0]]
    assert rsvp_view(db, key, token).name
    assert rsvp_view(db, key, call_token(key, "whatever")) is None
    assert rsvp_view(db, key, "../../etc/passwd") is None
    _other, (elsewhere,) = workshop(db, 5)
    with pytest.raises(Invalid, match="session"):
        answer_invite(db, key, token, session_id=elsewhere, mail=MAIL)
    with pytest.raises(NotFound):
        answer_invite(db, key, token, session_id=only + 1000, mail=MAIL)


def test_a_new_time_is_told_to_those_with_a_place_and_updates_their_calendars(db, key) -> None:
    ids = people(db, 2, gender="female", birth_year=YEAR - 30)
    event_id, (only,) = workshop(db, 5)
    tokens = invited(db, key, event_id, ids)
    answer_invite(db, key, tokens[ids[0]], session_id=only, mail=MAIL)
    with db.read() as session:
        row = session.get(EventSession, only)
    later = row.starts_at + timedelta(hours=1)
    update_session(
        db,
        key,
        actor=ADMIN,
        session_id=only,
        starts_at=later,
        ends_at=later + timedelta(hours=2),
        capacity=5,
        label=row.label,
        mail=MAIL,
    )
    with db.read() as session:
        changed = session.exec(
            select(Message).where(Message.subject.startswith("Endret tid"))  # type: ignore[attr-defined]
        ).all()
    assert [m.participant_id for m in changed] == [ids[0]]  # not the one without a place
    (entry,) = icalendar.Calendar.from_ical(changed[0].attachments[0]["text"]).walk("VEVENT")
    assert entry.decoded("dtstart") == later and int(entry["sequence"]) == 1
    # Only the number of places changed: nobody is told.
    update_session(
        db,
        key,
        actor=ADMIN,
        session_id=only,
        starts_at=later,
        ends_at=later + timedelta(hours=2),
        capacity=6,
        label=row.label,
        mail=MAIL,
    )
    with db.read() as session:
        assert len(session.exec(select(Message).where(Message.kind == "event-place")).all()) == 2


def test_who_leaves_the_panel_gives_up_their_place_and_the_waiting_list_moves_up(db, key):
    a, b, c, d, e, f = people(db, 6, gender="female", birth_year=YEAR - 30)
    event_id, (first, _second) = workshop(db, 2, 10)
    tokens = invited(db, key, event_id, [a, b, c, d, e, f])
    for person_id in (a, b, c, d, e):
        answer_invite(db, key, tokens[person_id], session_id=first, mail=MAIL)
    assert states(db, event_id) == {
        ("accepted", first): 2, ("waitlisted", first): 3, ("invited", None): 1
    }  # fmt: skip
    # a leaves through the email's link, staff pause b, f (not yet answered) is erased.
    choose(db, key, a, unsubscribe_code(key, a), Choice.leave)
    set_participant_status(db, actor=ADMIN, participant_id=b, status="paused")
    erase_participant(db, actor=ADMIN, participant_id=f)
    with db.read() as session:
        rows = {r.participant_id: r.state for r in session.exec(select(EventInvite))}
    assert rows == {a: "cancelled", b: "cancelled", c: "waitlisted", d: "waitlisted",
                    e: "waitlisted", f: "cancelled"}  # fmt: skip
    assert rsvp_view(db, key, tokens[a]) is None
    # c, first in line, has since gone quiet in a way that did not withdraw them (a status set
    # in the database): the places go to d and e, and each is emailed.
    with db.write() as session:
        session.get(Participant, c).status = "paused"
    assert fill_free_places(db, key, mail=MAIL) == 2
    assert states(db, event_id)[("accepted", first)] == 2
    with db.read() as session:
        rows = {r.participant_id: r.state for r in session.exec(select(EventInvite))}
        told = session.exec(select(Message.participant_id).where(Message.kind == "event-place",
                            Message.subject.startswith("Du har fått plass"))).all()  # fmt: skip
    assert (rows[c], rows[d], rows[e]) == ("waitlisted", "accepted", "accepted")
    assert sorted(told) == sorted([d, e])
    assert fill_free_places(db, key, mail=MAIL) == 0  # nothing more is free


def test_workshop_emails_count_for_the_contact_frequency_rule(db, key) -> None:
    asked = people(db, 3, gender="male", birth_year=YEAR - 40)
    others = people(db, 2, gender="male", birth_year=YEAR - 40)
    event_id, _ = workshop(db, 5)
    invited(db, key, event_id, asked)
    survey_id = open_survey(db)
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection(rest_days=30))
    assert plan.left_out == {"contacted_recently": 3} and sorted(plan.chosen) == sorted(others)
    assert plan_send(db, actor=ADMIN, survey_id=survey_id,
                     selection=Selection(rest_days=0)).left_out == {}  # fmt: skip


def test_a_place_given_up_is_emailed_with_its_calendar_entry_cancelled(db, key) -> None:
    a, b = people(db, 2, gender="female", birth_year=YEAR - 45)
    event_id, (only,) = workshop(db, 1)
    tokens = invited(db, key, event_id, [a, b])
    answer_invite(db, key, tokens[a], session_id=only, mail=MAIL)  # a place
    answer_invite(db, key, tokens[b], session_id=only, mail=MAIL)  # the waiting list
    answer_invite(db, key, tokens[a], session_id=None, mail=MAIL)  # a says no: b is in
    invites = {i.participant_id: i for i in event_view(db, actor=ADMIN, event_id=event_id).invites}
    cancel_invite(db, key, actor=ADMIN, invite_id=invites[b].id, mail=MAIL)  # staff withdraw b

    def emails(person_id: int) -> dict[str, Message]:
        with db.read() as session:
            rows = session.exec(select(Message).where(Message.participant_id == person_id,
                                                      Message.kind == "event-place"))  # fmt: skip
            return {m.subject.split(":")[0]: m for m in rows}

    def entry(message: Message):
        (one,) = icalendar.Calendar.from_ical(message.attachments[0]["text"]).walk("VEVENT")
        return one

    mine, theirs = emails(a), emails(b)
    assert set(mine) == {"Du er påmeldt", "Du er meldt av"}
    assert set(theirs) == {"Du står på venteliste", "Du har fått plass",
                           "Plassen din er trukket tilbake"}  # fmt: skip
    booked, declined = entry(mine["Du er påmeldt"]), entry(mine["Du er meldt av"])
    assert (str(booked["status"]), str(declined["status"])) == ("CONFIRMED", "CANCELLED")
    assert str(declined["uid"]) == str(booked["uid"]) == f"panel-session-{only}@baerum.kommune.no"
    assert "ikke kan komme på Økt 1:" in mine["Du er meldt av"].body_text
    assert "[[link]]" in mine["Du er meldt av"].body_text  # they may change their mind
    withdrawn = theirs["Plassen din er trukket tilbake"]
    assert str(entry(withdrawn)["status"]) == "CANCELLED"
    assert "[[link]]" not in withdrawn.body_text  # the link opens nothing any more
    assert "avlyst" in withdrawn.body_text
