"""Realistic sample data for `panel demo`: Bærum's panel as the municipality describes it.

About 440 members, recruited through the local paper, the municipal magazine, the town festival,
social media, posters and meetings; young adults are scarce, as in the real panel. The three
surveys the panel ran in 2019 come from the YAML files in data/surveys/.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .actors import Actor
from .db import Database
from .events import EventMail
from .models import (
    Interest,
    Participant,
    ParticipantInterest,
    ParticipantStatus,
    Survey,
    SurveyStatus,
)
from .population import BAERUM_POPULATION_CSV, BAERUM_SOURCE, import_population
from .reference import BAERUM_DISTRICTS
from .roles import Role
from .secrets import ServerKey
from .staff import Enrolment, create_staff
from .survey_files import read_survey_file
from .surveys import create_survey

PARTICIPANTS = 440

# The seed's three surveys from 2019, oldest first; each ran its course and is closed.
SURVEY_FILES = tuple(
    Path(__file__).parent / "data" / "surveys" / name
    for name in ("min-side.yaml", "nettsider.yaml", "klima.yaml")
)

SOURCES = {  # recruitment channel → share of sign-ups, after the seed's list
    "Budstikka": 0.22,
    "Bæringen": 0.20,
    "Facebook": 0.18,
    "Byfesten 2019": 0.12,
    "Plakater og oppslag": 0.08,
    "Velforening og møter": 0.10,
    "Kommunens nettside": 0.10,
}

INTERESTS = (
    "Klima og miljø",
    "Samferdsel",
    "Skole og barnehage",
    "Helse og omsorg",
    "Kultur og idrett",
    "Byutvikling",
    "Digitale tjenester",
    "Frivillighet",
)

# Age → relative weight in the panel: few under 30, most between 40 and 75.
AGE_WEIGHTS = ((16, 24, 0.35), (25, 34, 0.7), (35, 49, 1.3), (50, 66, 1.6), (67, 85, 1.0))

STATUS_WEIGHTS = {
    ParticipantStatus.active: 0.86,
    ParticipantStatus.paused: 0.04,
    ParticipantStatus.unsubscribed: 0.07,
    ParticipantStatus.pending: 0.03,
}

DEMO_STAFF = (("demo", Role.admin), ("redaktor", Role.editor), ("analytiker", Role.analyst))


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    enrolment: Enrolment


def ascii_fold(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def build_demo(db: Database, key: ServerKey, *, mail: EventMail, seed: int = 2019) -> DemoLogin:
    """Fill an empty, migrated database with the demo staff and panel; returns the admin login.
    The workshop's emails are queued as `mail` writes them, for the demo's dispatcher to send."""
    rng = random.Random(seed)
    password = (
        "-".join(rng.choice(("fjord", "bjork", "sykkel", "lyng", "elv", "tind")) for _ in range(3))
        + f"-{rng.randrange(10, 99)}"
    )
    operator = Actor.operator()
    enrolments = [
        create_staff(db, key, actor=operator, username=name, role=role, password=password)
        for name, role in DEMO_STAFF
    ]
    _add_participants(db, rng, seed)
    import_population(db, actor=operator, path=BAERUM_POPULATION_CSV, source_note=BAERUM_SOURCE)
    survey_ids = _add_surveys(db, _staff_actor(db, DEMO_STAFF[1][0]))  # the editor
    _add_answers(db, rng, survey_ids)
    _publish_climate(db, survey_ids[-1])
    _add_workshop(db, key, rng, survey_ids[0], mail)
    return DemoLogin(DEMO_STAFF[0][0], password, enrolments[0])


def _staff_actor(db: Database, username: str) -> Actor:
    from sqlmodel import select

    from .models import Staff

    with db.read() as session:
        staff = session.exec(select(Staff).where(Staff.username == username)).one()
    return Actor(id=staff.id, username=staff.username, role=Role(staff.role))


def _add_surveys(db: Database, editor: Actor) -> list[int]:
    """The seed's surveys, read from their YAML files as `panel survey import` reads them."""
    ids = []
    for path in SURVEY_FILES:
        survey_id = create_survey(db, actor=editor, spec=read_survey_file(path))
        # They ran in 2019: recorded as closed, as they would be now (opening a survey whose
        # closing date has passed is refused).
        with db.write() as session:
            survey = session.get(Survey, survey_id)
            assert survey is not None
            survey.status = SurveyStatus.closed
            session.add(survey)
        ids.append(survey_id)
    return ids


# How each of the seed's surveys went: (invited, answered). "Våre nettsider" had 18 answers,
# and the climate survey answers from 68 percent of those it reached.
TURNOUT = ((60, 45), (40, 18), (300, 204))
# Free-text answers, by question, in the residents' own words.
TEXTS = {
    "notes": ("Jeg bruker skjermleser, så det er fint om dere tester med det.",
              "Kan bare på ettermiddagen.", "Gjerne digitalt."),
    "looked_for": ("Åpningstider for gjenbruksstasjonen", "Søknad om byggetillatelse",
                   "Barnehageopptak", "Kontaktinfo til saksbehandler", "Eiendomsskatt"),
    "missing": ("Det er vanskelig å finne fram i menyene.", "Søket gir for mange treff.",
                "Mer informasjon på engelsk.", "Status på saken min."),
    "worry_most": ("Ekstremvær og flom i Lomma.", "At barna mine skal arve problemene.",
                   "Tap av natur og skog.", "Tørke og matmangel i verden."),
    "ideas": ("Flere sykkelveier langs E18.", "Bedre bussforbindelser på tvers av kommunen.",
              "Ta vare på marka.", "Solceller på alle kommunale bygg.",
              "Mer informasjon om hva jeg selv kan gjøre."),
}  # fmt: skip


def _add_answers(db: Database, rng: random.Random, survey_ids: list[int]) -> None:
    """Invitations and responses for the seed's surveys, as they might have gone: drawn from the
    active panel, answered over the weeks each survey was open."""
    from sqlmodel import select

    from .answering import new_response
    from .models import Answer, Invitation
    from .surveys import load_spec

    with db.write() as session:
        people = list(
            session.exec(select(Participant).where(Participant.status == ParticipantStatus.active))
        )
        for survey_id, (invited, answered) in zip(survey_ids, TURNOUT, strict=True):
            survey = session.get(Survey, survey_id)
            assert survey is not None and survey.opens_at and survey.closes_at
            spec = load_spec(session, survey)
            chosen = rng.sample(people, min(invited, len(people)))
            answering = set(rng.sample(range(len(chosen)), min(answered, len(chosen))))
            span = (survey.closes_at - survey.opens_at).total_seconds()
            for n, person in enumerate(chosen):
                sent = survey.opens_at
                invitation = Invitation(survey_id=survey_id, participant_id=person.id or 0,
                                        token_hash=f"demo:{survey_id}:{person.id}",
                                        sent_at=sent, created_at=sent)  # fmt: skip
                session.add(invitation)
                if n not in answering:
                    continue
                when = survey.opens_at + timedelta(seconds=span * rng.random() ** 2)
                if survey.anonymous:  # the day only, as the residents' pages keep it
                    when = when.replace(hour=0, minute=0, second=0, microsecond=0)
                invitation.started_at = invitation.completed_at = when
                session.flush()
                response = new_response(survey, invitation, person, when)
                session.add(response)
                session.flush()
                session.add_all(
                    Answer(response_id=response.id or 0, **values) for values in _answers(spec, rng)
                )


LEARNED = (
    "Sju av ti som svarte, kjenner til klimastrategien, og de fleste er bekymret for "
    "klimaendringene. Bedre kollektivtilbud og tryggere sykkelveier er tiltakene flest vil ha.\n\n"
    "Svarene er lagt fram for formannskapet. I 2020 prioriterer kommunen sykkelveien langs "
    "Griniveien og flere bussavganger på tvers av kommunen, og vi kommer tilbake til panelet "
    "med en ny undersøkelse om ett år."
)


def _publish_climate(db: Database, survey_id: int) -> None:
    """The climate survey's results as the municipality published them in December 2019, with
    a few answers quoted (its follow-up email went out then; none is queued now)."""
    from sqlmodel import col, select

    from .models import Answer, Question

    with db.write() as session:
        survey = session.get(Survey, survey_id)
        assert survey is not None
        survey.learned = LEARNED
        survey.results_published_at = datetime(2019, 12, 2, 9, tzinfo=UTC)
        session.add(survey)
        for answer in session.exec(
            select(Answer)
            .join(Question, col(Question.id) == Answer.question_id)
            .where(Question.survey_id == survey_id, Question.key == "ideas")
            .order_by(col(Answer.id))
            .limit(3)
        ):
            answer.quoted = True
            session.add(answer)


# The "Min side" test panel: 39 volunteered in the survey, 20 were invited to two workshops.
VOLUNTEERS = 39
WORKSHOP = {
    "title": "Min side – brukertest og verksted",
    "description": (
        "Vi viser fram den nye Min side og ber deg prøve den: finn en sak, en søknad og en "
        "avtale. Etterpå jobber vi i grupper med hva som bør bli bedre. Vi serverer mat."
    ),
    "location": "Bærum rådhus, Arnold Haukelands plass 10, Sandvika",
}
SESSIONS = ((14, "Verksted 1"), (21, "Verksted 2"))  # days from now, at 17–19 Norwegian time
PLACES = 10
# How the invited had answered when the demo starts: session (1 or 2), 0 for no, None not yet.
ANSWERS = (1,) * 9 + (2,) * 6 + (0, 0) + (None,) * 3


def _add_workshop(
    db: Database, key: ServerKey, rng: random.Random, survey_id: int, mail: EventMail
) -> None:
    """The workshops of the "Min side" survey: the 39 who said yes in it are the volunteers, a
    recorded draw invites 20 to two sessions, and most have answered."""
    from zoneinfo import ZoneInfo

    from sqlmodel import col, select

    from .event_draw import DrawRequest, invite_drawn, plan_draw
    from .events import add_session, create_event, invite_token, volunteers_from_survey
    from .models import Answer, EventInvite, Option, Question
    from .rsvp import answer_invite

    with db.write() as session:  # exactly 39 said yes, as in the seed; the others no
        questions = {
            q.key: q for q in session.exec(select(Question).where(Question.survey_id == survey_id))
        }
        options = {
            o.label: o.id
            for o in session.exec(select(Option).where(Option.question_id == questions["join"].id))
        }
        answers = session.exec(
            select(Answer)
            .where(Answer.question_id == questions["join"].id)
            .order_by(col(Answer.id))
        ).all()
        follow_ups = [questions[k].id for k in ("format", "when")]
        for n, answer in enumerate(answers):
            answer.option_id = options["Ja"] if n < VOLUNTEERS else options["Nei takk"]
            session.add(answer)
            if n >= VOLUNTEERS:  # not asked how or when, having said no
                for extra in session.exec(
                    select(Answer).where(
                        Answer.response_id == answer.response_id,
                        col(Answer.question_id).in_(follow_ups),
                    )
                ):
                    session.delete(extra)
    editor = _staff_actor(db, DEMO_STAFF[1][0])
    event_id = create_event(db, actor=editor, survey_id=survey_id, **WORKSHOP)
    today = datetime.now(ZoneInfo("Europe/Oslo")).date()
    sessions = []
    for days, label in SESSIONS:
        start = datetime.combine(
            today + timedelta(days=days), datetime.min.time(), ZoneInfo("Europe/Oslo")
        ).replace(hour=17)
        sessions.append(
            add_session(db, actor=editor, event_id=event_id, starts_at=start,
                        ends_at=start + timedelta(hours=2), capacity=PLACES, label=label)
        )  # fmt: skip
    volunteers_from_survey(db, actor=editor, event_id=event_id, survey_id=survey_id,
                           question="join", option="Ja")  # fmt: skip
    request = DrawRequest(size=20, strata=("age_band", "gender"), favour=True, seed=2019)
    plan = plan_draw(db, actor=editor, event_id=event_id, request=request)
    invite_drawn(db, key, actor=editor, plan=plan, mail=mail)
    with db.read() as session:
        invites = list(
            session.exec(
                select(EventInvite)
                .where(EventInvite.event_id == event_id)
                .order_by(col(EventInvite.id))
            )
        )
    rng.shuffle(invites)
    for invite, choice in zip(invites, ANSWERS, strict=True):
        if choice is None:
            continue
        token = invite_token(key, invite.link_salt or "")
        answer_invite(db, key, token, session_id=sessions[choice - 1] if choice else None,
                      mail=mail)  # fmt: skip


def _answers(spec, rng: random.Random) -> list[dict]:
    """One resident's answers: every question asked given the earlier answers, optional ones
    now and then left out; earlier options a little likelier, as in real surveys."""
    from .survey_spec import visible

    given: dict = {}
    rows: list[dict] = []
    for question in spec.questions:
        if question not in visible(spec, given) or (not question.required and rng.random() < 0.1):
            continue
        if question.kind == "single":
            weights = range(len(question.options) + 1, 1, -1)
            option = rng.choices(question.options, weights=weights)[0]
            given[question.key] = option.label
            rows.append({"question_id": question.id, "option_id": option.id})
        elif question.kind == "multiple":
            picked = [o for o in question.options if rng.random() < 0.4] or question.options[:1]
            given[question.key] = [o.label for o in picked]
            rows += [{"question_id": question.id, "option_id": o.id} for o in picked]
        elif question.kind in ("scale", "number"):
            low, high = question.min_value or 0, question.max_value or 10
            value = round(rng.triangular(low, high, high - (high - low) / 3))
            value = low + round((value - low) * 0.5) if question.kind == "number" else value
            given[question.key] = value
            rows.append({"question_id": question.id, "number_value": value})
        else:
            text = rng.choice(TEXTS.get(question.key, ("Ingen kommentar.",)))
            given[question.key] = text
            rows.append({"question_id": question.id, "text_value": text})
    return rows


def _add_participants(db: Database, rng: random.Random, seed: int) -> None:
    from faker import Faker

    fake = Faker("no_NO")  # Faker names its Norwegian (Bokmål) locale no_NO
    fake.seed_instance(seed)
    now = datetime.now(UTC)
    start = datetime(2019, 5, 1, tzinfo=UTC)
    with db.write() as session:
        interests = [Interest(name=name) for name in INTERESTS]
        session.add_all(interests)
        session.flush()
        seen: set[str] = set()
        people: list[tuple[Participant, list[Interest]]] = []
        while len(people) < PARTICIPANTS:
            person = _person(fake, rng, now, start)
            if person.email_key in seen:
                continue
            seen.add(person.email_key or "")
            people.append((person, rng.sample(interests, rng.randint(1, 3))))
        session.add_all(p for p, _ in people)
        session.flush()
        session.add_all(
            ParticipantInterest(participant_id=p.id, interest_id=i.id)  # type: ignore[arg-type]
            for p, chosen in people
            for i in chosen
        )


# Channels reach ages differently: the paper and the magazine reach the older residents,
# Facebook and the festival the younger ones.
YOUNG_REACH = {"Facebook": 3.0, "Byfesten 2019": 3.0, "Budstikka": 0.3, "Bæringen": 0.4}


def _source(rng: random.Random, age: int) -> str:
    weights = [
        share * (YOUNG_REACH.get(name, 1.0) if age < 35 else 1.0) for name, share in SOURCES.items()
    ]
    return rng.choices(list(SOURCES), weights=weights)[0]


def _person(fake, rng: random.Random, now: datetime, start: datetime) -> Participant:
    gender = rng.choices(("female", "male", "other"), weights=(0.54, 0.445, 0.015))[0]
    if gender == "female":
        first = fake.first_name_female()
    elif gender == "male":
        first = fake.first_name_male()
    else:
        first = fake.first_name()
    last = fake.last_name()
    low, high, _w = rng.choices(AGE_WEIGHTS, weights=[w for *_, w in AGE_WEIGHTS])[0]
    birth_year = now.year - rng.randint(low, high)
    local = ascii_fold(f"{first}.{last}").replace(" ", "")
    suffix = rng.choice(("", "", str(rng.randint(1, 99))))
    domain = rng.choice(("example.no", "example.com", "example.org", "example.net"))
    email = f"{local}{suffix}@{domain}"
    created = start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds()))
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    confirmed = created + timedelta(minutes=rng.randint(2, 600))
    return Participant(
        name=f"{first} {last}",
        email=email,
        email_key=email.lower(),
        gender=gender,
        birth_year=birth_year,
        district=rng.choice(BAERUM_DISTRICTS),
        language="en" if rng.random() < 0.04 else "nb",
        status=status,
        source=_source(rng, now.year - birth_year),
        consent_version="2019-05",
        consent_at=confirmed if status != ParticipantStatus.pending else None,
        consent_note="sign-up form",
        created_at=created,
        confirmed_at=confirmed if status != ParticipantStatus.pending else None,
        updated_at=created,
    )


def demo_totp_secret(db: Database, key: ServerKey, *, username: str) -> str:
    """The demo user's TOTP secret, so `panel demo --code` can print codes. Demo only."""
    from sqlmodel import select

    from .models import Staff

    with db.read() as session:
        staff = session.exec(select(Staff).where(Staff.username == username)).one()
    return key.decrypt(staff.totp_secret_enc)
