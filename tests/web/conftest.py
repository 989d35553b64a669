"""The residents' site against a real database: a survey sent to a few people, their links."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest

from store.actors import Actor
from store.links import TOKEN, invitation_token, link_parts
from store.models import Invitation, Participant
from store.sampling import Selection, plan_send
from store.sending import Letter, Mailing, queue_invitations
from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec
from store.surveys import create_survey, set_survey_status
from tests.mail.conftest import dispatcher, smtp, smtp_config  # noqa: F401 (fixtures)
from web.app import create_app
from web.config import WebConfig

BASE = "https://panel.example"
ADMIN = Actor.operator()


def climate(anonymous: bool = True) -> SurveySpec:
    """Four pages: the scale and the condition on it force page breaks."""
    return SurveySpec(
        title="Klima i Bærum",
        intro="Vi vil høre hva du mener.",
        thanks="Takk for svarene!",
        anonymous=anonymous,
        questions=[
            QuestionSpec(
                "aware",
                "single",
                "Kjenner du klimastrategien?",
                required=True,
                options=[OptionSpec("Ja"), OptionSpec("Nei")],
            ),
            QuestionSpec(
                "worry",
                "scale",
                "Hvor bekymret er du?",
                min_value=1,
                max_value=5,
                min_label="Ikke",
                max_label="Svært",
            ),
            QuestionSpec(
                "ideas", "text", "Hva bør kommunen gjøre?", max_length=50, show_if={"aware": ["Ja"]}
            ),
            QuestionSpec(
                "measures",
                "multiple",
                "Hva er viktigst?",
                options=[OptionSpec("Sykkel"), OptionSpec("Buss"), OptionSpec("Tog")],
            ),
            QuestionSpec("age", "number", "Hvor gammel er du?", min_value=16, max_value=120),
        ],
    )


@dataclass
class World:
    db: object
    key: object
    survey_id: int
    tokens: dict[str, str]  # email → survey token
    people: dict[str, int]  # email → participant id

    def unsubscribe_path(self, email: str) -> str:
        person = self.people[email]
        parts = link_parts(self.key, person, None)
        return f"/u/{person}/{parts['[[unsubscribe-code]]']}"


def make_world(db, key, spec: SurveySpec | None = None, people: int = 3) -> World:
    survey_id = create_survey(db, actor=ADMIN, spec=spec or climate())
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="open")
    with db.write() as session:
        for n in range(people):
            email = f"p{n}@example.no"
            session.add(
                Participant(
                    name=f"Person {n}",
                    email=email,
                    email_key=email,
                    status="active",
                    gender="female",
                    birth_year=1980,
                    district="Bekkestua",
                    language="nb" if n else "en",
                )
            )
    plan = plan_send(db, actor=ADMIN, survey_id=survey_id, selection=Selection(rest_days=0))
    letter = Letter("Klima", f"{BASE}/s/{TOKEN}", f"<p>{BASE}/s/{TOKEN}</p>")
    queue_invitations(
        db,
        key,
        actor=ADMIN,
        plan=plan,
        letters={"nb": letter},
        mailing=Mailing("Panel <panel@example.no>", BASE),
    )
    tokens, ids = {}, {}
    with db.read() as session:
        from sqlmodel import select

        for invitation, person in session.exec(select(Invitation, Participant).join(Participant)):
            tokens[person.email] = invitation_token(key, invitation.link_salt)
            ids[person.email] = person.id
    return World(db, key, survey_id, tokens, ids)


@pytest.fixture
def world(db, key) -> World:
    return make_world(db, key)


@pytest.fixture
def config() -> WebConfig:
    return WebConfig(base_url=BASE)


@pytest.fixture
async def client(world, config):
    app = create_app(world.db, world.key, config)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 1234))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)
