"""Surveys in the store: rules, saving with a version check, lifecycle, and answers protected."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from store.actors import Actor
from store.errors import Conflict, Invalid, PermissionDenied, Refused
from store.models import Answer, AuditEvent, Option, Question, Response
from store.roles import Role
from store.survey_spec import (
    OptionSpec,
    QuestionSpec,
    SurveyInvalid,
    SurveySpec,
    answer_problem,
    problems,
    visible,
)
from store.surveys import (
    create_survey,
    delete_survey,
    duplicate_survey,
    get_survey,
    list_surveys,
    save_survey,
    set_survey_status,
)

ADMIN = Actor.operator()
ANALYST = Actor(id=None, username="ana", role=Role.analyst)


def climate() -> SurveySpec:
    return SurveySpec(
        title="Klima i Bærum",
        intro="Vi vil gjerne høre hva du mener.",
        thanks="Takk!",
        opens_on=date(2030, 10, 1),
        closes_on=date(2030, 10, 31),
        questions=[
            QuestionSpec(
                "aware",
                "single",
                "Kjenner du til klimastrategien?",
                required=True,
                options=[OptionSpec("Ja"), OptionSpec("Nei"), OptionSpec("Usikker")],
            ),
            QuestionSpec(
                "worry", "scale", "Hvor bekymret er du?", min_value=1, max_value=5,
                min_label="Ikke bekymret", max_label="Svært bekymret",
            ),
            QuestionSpec(
                "measures", "multiple", "Hva er viktigst?",
                options=[OptionSpec("Sykkel"), OptionSpec("Buss"), OptionSpec("Solceller")],
            ),
            QuestionSpec("ideas", "text", "Hva bør kommunen gjøre?", show_if={"aware": ["Ja"]},
                         max_length=500),
            QuestionSpec("age", "number", "Hvor gammel er du?", min_value=16, max_value=120),
        ],
    )  # fmt: skip


def answer(db, survey_id: int, key: str, label: str) -> None:
    """A response choosing `label` for question `key`, as the answering pages will store it."""
    with db.write() as session:
        question = session.exec(
            select(Question).where(Question.survey_id == survey_id, Question.key == key)
        ).one()
        option = session.exec(
            select(Option).where(Option.question_id == question.id, Option.label == label)
        ).one()
        response = Response(survey_id=survey_id, age_band="25–34")
        session.add(response)
        session.flush()
        session.add(Answer(response_id=response.id, question_id=question.id, option_id=option.id))


def test_a_survey_round_trips_through_the_database(db) -> None:
    survey_id = create_survey(db, actor=ADMIN, spec=climate())
    detail = get_survey(db, actor=ANALYST, survey_id=survey_id)
    assert detail.status == "draft" and detail.version == 1 and detail.answered == 0
    spec = detail.spec
    assert [q.key for q in spec.questions] == ["aware", "worry", "measures", "ideas", "age"]
    assert spec.questions[0].labels == ["Ja", "Nei", "Usikker"]
    assert spec.questions[1].min_label == "Ikke bekymret"
    assert spec.questions[3].show_if == {"aware": ["Ja"]}
    assert (spec.opens_on, spec.closes_on) == (date(2030, 10, 1), date(2030, 10, 31))
    assert all(q.id for q in spec.questions) and all(o.id for o in spec.questions[0].options)
    [row] = list_surveys(db, actor=ANALYST)
    assert (row.title, row.questions, row.invited, row.response_rate) == (
        "Klima i Bærum", 5, 0, None
    )  # fmt: skip


def test_rules_name_the_question_and_the_field() -> None:
    spec = climate()
    spec.questions[1].max_value = 1  # not above min
    spec.questions[3].show_if = {"aware": ["Kanskje"]}  # no such option
    spec.questions[0].show_if = {"ideas": ["x"]}  # a later question
    spec.questions[2].options = [OptionSpec("Sykkel")]  # one option only
    spec.questions[4].key = "aware"  # taken
    found = {(p.where, p.field) for p in problems(spec)}
    assert found == {
        ("question 2 (worry)", "max"),
        ("question 4 (ideas)", "show_if"),
        ("question 1 (aware)", "show_if"),
        ("question 3 (measures)", "options"),
        ("question 5 (aware)", "id"),
    }
    with pytest.raises(SurveyInvalid):
        create_survey(db=None, actor=ADMIN, spec=spec)  # type: ignore[arg-type]


def test_a_question_cannot_be_conditioned_on_itself() -> None:
    spec = climate()
    spec.questions[0].show_if = {"aware": ["Ja"]}
    [problem] = problems(spec)
    assert problem.field == "show_if" and "this question or a later one" in problem.message


def test_conditions_and_required_answers_decide_what_a_resident_meets() -> None:
    spec = climate()
    assert "ideas" not in [q.key for q in visible(spec, {"aware": "Nei"})]
    assert "ideas" in [q.key for q in visible(spec, {"aware": "Ja"})]
    aware, worry, measures, ideas, age = spec.questions
    assert answer_problem(aware, None) == ("required", None)
    assert answer_problem(worry, None) is None  # not required
    assert answer_problem(worry, "6") == ("scale", None)
    assert answer_problem(worry, 3) is None
    assert answer_problem(measures, ["Buss", "Tog"]) == ("choose_among", None)
    assert answer_problem(ideas, "x" * 501) == ("too_long", 500)
    assert answer_problem(age, "15") == ("too_low", 16)
    assert answer_problem(age, "tretti") == ("not_a_number", None)
    assert answer_problem(age, "1 20,0") is None


def test_the_second_of_two_conflicting_saves_is_refused_and_writes_nothing(db) -> None:
    survey_id = create_survey(db, actor=ADMIN, spec=climate())
    first = get_survey(db, actor=ADMIN, survey_id=survey_id)
    second = get_survey(db, actor=ADMIN, survey_id=survey_id)
    first.spec.title = "Klima 2026"
    assert save_survey(db, actor=ADMIN, survey_id=survey_id, spec=first.spec, version=1) == 2
    second.spec.title = "Klimaundersøkelsen"
    with pytest.raises(Conflict, match="someone else saved"):
        save_survey(db, actor=ADMIN, survey_id=survey_id, spec=second.spec, version=1)
    assert get_survey(db, actor=ADMIN, survey_id=survey_id).spec.title == "Klima 2026"


def test_editing_reorders_renames_and_swaps_keys(db) -> None:
    survey_id = create_survey(db, actor=ADMIN, spec=climate())
    detail = get_survey(db, actor=ADMIN, survey_id=survey_id)
    spec = detail.spec
    spec.questions[1], spec.questions[2] = spec.questions[2], spec.questions[1]
    spec.questions[1].key, spec.questions[2].key = "worry", "measures"  # swapped keys
    spec.questions[1].options.reverse()
    spec.questions[1].options[0].label = "Sykler"
    save_survey(db, actor=ADMIN, survey_id=survey_id, spec=spec, version=detail.version)
    saved = get_survey(db, actor=ADMIN, survey_id=survey_id).spec
    assert [q.kind for q in saved.questions][:3] == ["single", "multiple", "scale"]
    assert saved.questions[1].key == "worry" and saved.questions[2].key == "measures"
    assert saved.questions[1].labels == ["Sykler", "Buss", "Sykkel"]


def test_answers_protect_questions_and_options_but_allow_wording_fixes(db) -> None:
    survey_id = create_survey(db, actor=ADMIN, spec=climate())
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="open")
    answer(db, survey_id, "aware", "Ja")
    detail = get_survey(db, actor=ADMIN, survey_id=survey_id)
    assert detail.answered == 1

    def attempt(change) -> None:
        spec = get_survey(db, actor=ADMIN, survey_id=survey_id).spec
        change(spec)
        version = get_survey(db, actor=ADMIN, survey_id=survey_id).version
        save_survey(db, actor=ADMIN, survey_id=survey_id, spec=spec, version=version)

    with pytest.raises(Refused, match="answers, question 'aware' cannot be deleted"):
        attempt(lambda s: s.questions.pop(0) and s.questions[2].__setattr__("show_if", None))
    with pytest.raises(Refused, match="cannot change from single to multiple"):
        attempt(lambda s: setattr(s.questions[0], "kind", "multiple"))
    with pytest.raises(Refused, match="option 'Usikker' of question 'aware' cannot be deleted"):
        attempt(lambda s: s.questions[0].options.pop())
    with pytest.raises(Refused, match="can grow but not shrink"):
        attempt(lambda s: setattr(s.questions[1], "max_value", 4))
    attempt(lambda s: setattr(s.questions[0], "text", "Kjenner du til kommunens klimastrategi?"))
    attempt(lambda s: s.questions[0].options.append(OptionSpec("Har hørt om den")))
    attempt(lambda s: setattr(s.questions[1], "max_value", 7))
    spec = get_survey(db, actor=ADMIN, survey_id=survey_id).spec
    assert spec.questions[0].text.startswith("Kjenner du til kommunens")
    assert spec.questions[0].labels[-1] == "Har hørt om den" and spec.questions[1].max_value == 7
    with db.read() as session:  # the answer still points at its option
        [kept] = session.exec(select(Answer)).all()
        assert session.get(Option, kept.option_id).label == "Ja"


def test_lifecycle_and_duplicate(db) -> None:
    survey_id = create_survey(db, actor=ADMIN, spec=climate())
    with pytest.raises(Invalid, match="from draft to closed"):
        set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="closed")
    for status in ("open", "closed", "archived"):
        set_survey_status(db, actor=ADMIN, survey_id=survey_id, status=status)
    with pytest.raises(Refused, match="archived"):
        detail = get_survey(db, actor=ADMIN, survey_id=survey_id)
        save_survey(db, actor=ADMIN, survey_id=survey_id, spec=detail.spec, version=detail.version)
    with pytest.raises(Refused, match="only a draft"):
        delete_survey(db, actor=ADMIN, survey_id=survey_id)
    copy = duplicate_survey(db, actor=ADMIN, survey_id=survey_id, title="Klima 2027")
    detail = get_survey(db, actor=ADMIN, survey_id=copy)
    assert detail.status == "draft" and detail.spec.title == "Klima 2027"
    assert len(detail.spec.questions) == 5
    delete_survey(db, actor=ADMIN, survey_id=copy)
    past = climate()
    past.opens_on, past.closes_on = date(2019, 10, 1), date(2019, 10, 31)
    old = create_survey(db, actor=ADMIN, spec=past)
    again = duplicate_survey(db, actor=ADMIN, survey_id=old, title="Klima 2028")
    spec = get_survey(db, actor=ADMIN, survey_id=again).spec
    assert spec.opens_on is None and spec.closes_on is None  # a copy is for another round
    set_survey_status(db, actor=ADMIN, survey_id=again, status="open")
    assert [row.id for row in list_surveys(db, actor=ADMIN)] == [again, old, survey_id]
    with db.read() as session:
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert actions.count("survey.status") == 4 and "survey.deleted" in actions


def test_an_empty_or_past_survey_cannot_open(db) -> None:
    survey_id = create_survey(db, actor=ADMIN, spec=SurveySpec(title="Tom"))
    with pytest.raises(Refused, match="at least one question"):
        set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="open")
    past = climate()
    past.opens_on, past.closes_on = date(2019, 10, 1), date(2019, 10, 31)
    survey_id = create_survey(db, actor=ADMIN, spec=past)
    with pytest.raises(Refused, match="closing date has passed"):
        set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="open")


def test_analysts_read_but_do_not_write(db) -> None:
    survey_id = create_survey(db, actor=ADMIN, spec=climate())
    assert get_survey(db, actor=ANALYST, survey_id=survey_id).spec.title == "Klima i Bærum"
    with pytest.raises(PermissionDenied):
        create_survey(db, actor=ANALYST, spec=climate())
    with pytest.raises(PermissionDenied):
        set_survey_status(db, actor=ANALYST, survey_id=survey_id, status="open")
    with pytest.raises(PermissionDenied):
        duplicate_survey(db, actor=ANALYST, survey_id=survey_id, title="x")
