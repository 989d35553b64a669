"""Results against an independent count in plain Python over generated answers, on both
engines; small-cell protection as properties; progress; roles."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import timedelta
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.actors import Actor
from store.errors import Invalid, PermissionDenied
from store.models import (
    Answer,
    Interest,
    Invitation,
    Message,
    Participant,
    ParticipantInterest,
    Response,
)
from store.results import (
    Subgroup,
    breakdown,
    protect,
    protect_line,
    survey_results,
    text_answers,
)
from store.roles import Role
from store.survey_spec import OptionSpec, QuestionSpec, SurveySpec
from store.surveys import create_survey, get_survey, set_survey_status
from store.timeutil import utcnow

ADMIN = Actor.operator()
ANALYST = Actor(id=None, username="ana", role=Role.analyst)
GENDERS = ("female", "male", "other")
BANDS = ("16–24", "25–34", "50–66")
DISTRICTS = ("Jar", "Sandvika", "Fornebu")
SPEC = SurveySpec(
    title="Klima",
    anonymous=False,
    questions=[
        QuestionSpec("aware", "single", "Kjenner du strategien?", required=True,
                     options=[OptionSpec("Ja"), OptionSpec("Nei"), OptionSpec("Vet ikke")]),
        QuestionSpec("modes", "multiple", "Hva bruker du?",
                     options=[OptionSpec("Sykkel"), OptionSpec("Buss"), OptionSpec("Tog")]),
        QuestionSpec("worry", "scale", "Hvor bekymret?", min_value=1, max_value=5),
        QuestionSpec("age", "number", "Alder?", min_value=16, max_value=110),
        QuestionSpec("ideas", "text", "Ideer?"),
    ],
)  # fmt: skip


def generate(db, count: int, seed: int = 7) -> tuple[int, list[dict]]:
    """A survey with `count` identified responses drawn at random; the survey id and, for the
    independent count, each response as plain data."""
    survey_id = create_survey(db, actor=ADMIN, spec=SPEC)
    set_survey_status(db, actor=ADMIN, survey_id=survey_id, status="open")
    spec = get_survey(db, actor=ADMIN, survey_id=survey_id).spec
    ids = {q.key: q for q in spec.questions}
    rng = random.Random(seed)
    made = []
    with db.write() as session:
        interest = Interest(name="Klima")
        session.add(interest)
        session.flush()
        for n in range(count):
            person = Participant(name=f"P{n}", email_key=f"p{n}@x.no", status="active")
            session.add(person)
            session.flush()
            if n % 3 == 0:
                session.add(ParticipantInterest(participant_id=person.id, interest_id=interest.id))
            sent = utcnow() - timedelta(days=3)
            invitation = Invitation(survey_id=survey_id, participant_id=person.id,
                                    token_hash=f"h{n}", sent_at=sent)  # fmt: skip
            row = {
                "gender": rng.choice(GENDERS),
                "age_band": rng.choices(BANDS, weights=(1, 6, 6))[0],
                "district": rng.choices(DISTRICTS, weights=(8, 8, 1))[0],
                "interest": n % 3 == 0,
                "aware": rng.choice(["Ja", "Ja", "Nei", "Vet ikke"]),
                "modes": [m for m in ("Sykkel", "Buss", "Tog") if rng.random() < 0.4],
                "worry": rng.choice([1, 2, 3, 3, 4, 4, 5]) if rng.random() < 0.9 else None,
                "age": rng.randint(16, 90) if rng.random() < 0.8 else None,
                "ideas": rng.choice(["Flere sykkelveier", "Bedre buss", None]),
                "day": rng.randint(0, 2),
            }
            if n % 10 == 9:  # invited, never answered
                session.add(invitation)
                continue
            invitation.completed_at = utcnow()
            session.add(invitation)
            session.flush()
            response = Response(survey_id=survey_id, invitation_id=invitation.id,
                                participant_id=person.id, age_band=row["age_band"],
                                gender=row["gender"], district=row["district"],
                                submitted_at=utcnow() - timedelta(days=row["day"]))  # fmt: skip
            session.add(response)
            session.flush()
            answers = [
                Answer(question_id=ids["aware"].id, option_id=_option(ids["aware"], row["aware"]))
            ]
            answers += [Answer(question_id=ids["modes"].id, option_id=_option(ids["modes"], m))
                        for m in row["modes"]]  # fmt: skip
            if row["worry"] is not None:
                answers.append(Answer(question_id=ids["worry"].id, number_value=row["worry"]))
            if row["age"] is not None:
                answers.append(Answer(question_id=ids["age"].id, number_value=row["age"]))
            if row["ideas"]:
                answers.append(Answer(question_id=ids["ideas"].id, text_value=row["ideas"]))
            for answer in answers:
                answer.response_id = response.id
            session.add_all(answers)
            made.append(row)
    return survey_id, made


def _option(question: QuestionSpec, label: str) -> int:
    return next(o.id for o in question.options if o.label == label)


def expected_line(counts: list[int], k: int) -> list[int | None]:
    return protect_line(counts, k)[0]


def test_results_equal_an_independent_count(db) -> None:
    survey_id, rows = generate(db, 400)
    results = survey_results(db, actor=ANALYST, survey_id=survey_id, k=5)
    assert results.responses == len(rows)
    by_key = {q.key: q for q in results.questions}

    aware = Counter(r["aware"] for r in rows)
    assert [s.count for s in by_key["aware"].shares] == expected_line(
        [aware["Ja"], aware["Nei"], aware["Vet ikke"]], 5
    )
    assert by_key["aware"].respondents == len(rows)
    assert by_key["aware"].shares[0].share == pytest.approx(aware["Ja"] / len(rows))

    answered_modes = [r for r in rows if r["modes"]]
    modes = Counter(m for r in rows for m in r["modes"])
    assert by_key["modes"].respondents == len(answered_modes)
    assert [s.count for s in by_key["modes"].shares] == [
        modes[m] for m in ("Sykkel", "Buss", "Tog")
    ]
    assert by_key["modes"].shares[1].share == pytest.approx(modes["Buss"] / len(answered_modes))

    worries = [r["worry"] for r in rows if r["worry"] is not None]
    worry = by_key["worry"]
    assert [s.count for s in worry.shares] == expected_line(
        [worries.count(v) for v in range(1, 6)], 5
    )
    assert worry.summary.mean == pytest.approx(statistics.mean(worries))
    assert worry.summary.median == statistics.median(worries)

    ages = [r["age"] for r in rows if r["age"] is not None]
    assert by_key["age"].summary.n == len(ages)
    assert by_key["age"].summary.mean == pytest.approx(statistics.mean(ages))
    assert by_key["age"].summary.median == statistics.median(ages)
    assert by_key["ideas"].texts == sum(1 for r in rows if r["ideas"])

    progress = results.progress
    assert (progress.invited, progress.delivered, progress.completed) == (400, 400, len(rows))
    assert progress.rate == pytest.approx(len(rows) / 400)
    assert sum(n for _day, n in progress.per_day) == len(rows)


def test_a_subgroup_counts_only_its_own(db) -> None:
    survey_id, rows = generate(db, 300)
    for subgroup, keep in (
        (Subgroup(district="Jar"), lambda r: r["district"] == "Jar"),
        (Subgroup(gender="male", age_band="50–66"),
         lambda r: r["gender"] == "male" and r["age_band"] == "50–66"),
        (Subgroup(interest="Klima"), lambda r: r["interest"]),
    ):  # fmt: skip
        mine = [r for r in rows if keep(r)]
        results = survey_results(db, actor=ANALYST, survey_id=survey_id, subgroup=subgroup)
        assert results.responses == (len(mine) if len(mine) >= 5 else None)
        aware = Counter(r["aware"] for r in mine)
        shown = [s.count for s in results.questions[0].shares]
        assert shown == expected_line([aware["Ja"], aware["Nei"], aware["Vet ikke"]], 5)


def test_a_breakdown_equals_the_count_by_group_with_small_groups_hidden(db) -> None:
    survey_id, rows = generate(db, 300)
    table = breakdown(db, actor=ANALYST, survey_id=survey_id, question="aware",
                      dimension="district")  # fmt: skip
    assert table.groups == sorted(DISTRICTS)
    sizes = Counter(r["district"] for r in rows)
    raw = [[sum(1 for r in rows if r["district"] == g and r["aware"] == label)
            for label in ("Ja", "Nei", "Vet ikke")] for g in table.groups]  # fmt: skip
    protected = protect(raw, 5, [sizes[g] for g in table.groups])
    assert (table.cells, table.totals) == (protected.cells, protected.row_totals)
    assert [t is None for t in table.totals] == [sizes[g] < 5 for g in table.groups]
    for shown, truth in zip(table.cells, raw, strict=True):
        for cell, count in zip(shown, truth, strict=True):
            assert cell is None or cell == count
            if 0 < count < 5:
                assert cell is None
    ages = breakdown(db, actor=ANALYST, survey_id=survey_id, question="worry",
                     dimension="age_band")  # fmt: skip
    assert ages.groups == list(BANDS) and ages.labels == ["1", "2", "3", "4", "5"]


def test_free_text_answers_are_searchable_and_carry_no_name(db) -> None:
    survey_id, rows = generate(db, 60)
    found = text_answers(db, actor=ADMIN, survey_id=survey_id, question="ideas", search="BUSS")
    assert [t.text for t in found] == ["Bedre buss"] * sum(
        1 for r in rows if r["ideas"] == "Bedre buss"
    )


def test_roles_and_thresholds(db) -> None:
    survey_id, _rows = generate(db, 20)
    with pytest.raises(Invalid):
        survey_results(db, actor=ANALYST, survey_id=survey_id, k=2)
    with pytest.raises(PermissionDenied):  # analysts get aggregates only, never raw answers
        text_answers(db, actor=ANALYST, survey_id=survey_id, question="ideas")
    tight = survey_results(db, actor=ANALYST, survey_id=survey_id, k=50)
    assert tight.responses is None  # 18 answers: fewer than k, so not even the total shows
    assert all(s.count is None for q in tight.questions for s in q.shares)


def test_undeliverable_invitations_leave_the_rate(db) -> None:
    survey_id, rows = generate(db, 30)
    with db.write() as session:
        person = Participant(name="Gone", email_key="gone@x.no", status="active")
        session.add(person)
        session.flush()
        session.add(Invitation(survey_id=survey_id, participant_id=person.id, token_hash="g"))
        session.add(Message(dedupe_key="invite:gone", kind="invitation", survey_id=survey_id,
                            participant_id=person.id, status="failed"))  # fmt: skip
    progress = survey_results(db, actor=ADMIN, survey_id=survey_id).progress
    assert progress.invited == 31 and progress.undeliverable == 1 and progress.delivered == 30
    assert progress.rate == pytest.approx(len(rows) / 30)


# Protection, as properties ------------------------------------------------------------------


def recoverable(values: list[int], shown: list[int | None]) -> bool:
    """Whether some hidden cell has one value only, among all non-negative fillings that add
    up to the total: what an attacker with the breakdown and its total could work out."""
    hidden = [i for i, v in enumerate(shown) if v is None]
    if not hidden:
        return False
    rest = sum(values) - sum(v for v in shown if v is not None)
    seen: dict[int, set[int]] = {i: set() for i in hidden}
    for filling in product(range(rest + 1), repeat=len(hidden)):
        if sum(filling) == rest:
            for i, v in zip(hidden, filling, strict=True):
                seen[i].add(v)
    return any(len(values) == 1 for values in seen.values())


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.integers(0, 12), min_size=1, max_size=5), k=st.integers(3, 6))
def test_no_suppressed_count_can_be_recovered_from_a_breakdown_and_its_total(values, k) -> None:
    shown, total = protect_line(values, k)
    assert all(s is None for v, s in zip(values, shown, strict=True) if 0 < v < k)
    assert all(s is None or s == v for v, s in zip(values, shown, strict=True))
    assert total is None or total == sum(values)
    if total is not None:  # with no total shown there is nothing to solve
        assert not recoverable(values, shown)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(1, 5).flatmap(
        lambda width: st.lists(st.lists(st.integers(0, 15), min_size=width, max_size=width),
                               min_size=1, max_size=5)
    ),
    k=st.integers(3, 6),
)  # fmt: skip
def test_no_row_or_column_of_a_table_gives_its_hidden_cell_away(rows, k) -> None:
    """A line (a row or a column, with its total) with exactly one cell hidden would give it
    away; so there is none."""
    table = protect(rows, k)
    shown = [[*r, t] for r, t in zip(table.cells, table.row_totals, strict=True)]
    shown.append(table.column_totals)
    truth = [[*row, sum(row)] for row in rows]
    truth.append([sum(column) for column in zip(*truth, strict=True)])
    for line, values in (
        *zip(shown, truth, strict=True),
        *zip(zip(*shown, strict=True), zip(*truth, strict=True), strict=True),
    ):
        assert all(cell is None or cell == v for cell, v in zip(line, values, strict=True))
        assert all(cell is None for cell, v in zip(line, values, strict=True) if 0 < v < k)
        assert [cell is None for cell in line].count(True) != 1


def test_a_group_too_small_to_show_hides_its_zeros_too() -> None:
    table = protect([[0, 0, 2], [9, 8, 7], [6, 0, 5]], 5)
    assert table.cells[0] == [None, None, None] and table.row_totals[0] is None
    cells, total = protect_line([0, 3, 0], 5)
    assert cells == [None, None, None] and total is None
