"""What residents answered: a survey's progress, each question's distribution, breakdowns by
group, with small-cell protection everywhere.

Every figure comes from GROUP BY queries over the answers, so a survey with a hundred thousand
responses is counted in the database, not in Python. Counts below `k` respondents (and above
zero) are suppressed, and so many more beside them that no suppressed count can be worked out
from the totals shown (`protect`). The same protected figures feed the screen and every
export, so nothing leaves unprotected.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, distinct, func, literal, select, union_all
from sqlmodel import Session, col

from .actors import Actor
from .db import Database
from .errors import Invalid, NotFound
from .models import (
    Answer,
    Invitation,
    Message,
    MessageStatus,
    ParticipantInterest,
    Response,
    Survey,
)
from .models import Interest as InterestRow
from .reference import AGE_BANDS
from .roles import Role
from .survey_spec import QuestionSpec, SurveySpec
from .surveys import load_spec

DEFAULT_K = 5
LOWEST_K = 3  # a threshold below this protects no one
LOCAL = ZoneInfo("Europe/Oslo")
DIMENSIONS = ("gender", "age_band", "district", "interest")
CHOICE_KINDS = ("single", "multiple", "scale")

Cell = int | None  # None: suppressed


@dataclass(frozen=True)
class Subgroup:
    """Whose answers to count: all, or those of one gender, age band, district or interest."""

    gender: str | None = None
    age_band: str | None = None
    district: str | None = None
    interest: str | None = None

    def __bool__(self) -> bool:
        return any((self.gender, self.age_band, self.district, self.interest))

    def describe(self) -> str:
        parts = [f"{name}={value}" for name, value in vars(self).items() if value]
        return ", ".join(parts)


@dataclass(frozen=True)
class Progress:
    invited: int
    delivered: int  # the invitation went out
    undeliverable: int  # the invitation failed for good
    started: int
    completed: int
    per_day: list[tuple[date, int]]  # responses a day, Norwegian time

    @property
    def rate(self) -> float | None:
        """Completed of delivered invitations: "answers from 68 percent of those asked"."""
        return self.completed / self.delivered if self.delivered else None


@dataclass(frozen=True)
class Share:
    label: str
    count: Cell
    share: float | None  # of the question's respondents; None when suppressed


@dataclass(frozen=True)
class NumberSummary:
    n: int
    mean: float | None
    median: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class QuestionResult:
    key: str
    text: str
    kind: str
    respondents: Cell  # who answered it
    shares: list[Share] = field(default_factory=list)  # choices and scale points
    summary: NumberSummary | None = None  # scales and numbers; None when too few
    texts: Cell = 0  # free-text answers given (None: too few to say)


@dataclass(frozen=True)
class Results:
    survey_id: int
    title: str
    anonymous: bool
    k: int
    subgroup: Subgroup
    responses: Cell
    progress: Progress
    questions: list[QuestionResult]


@dataclass(frozen=True)
class Breakdown:
    """One question's answers by group: `cells[g][o]` for group g and option o."""

    question: str
    dimension: str
    groups: list[str]
    labels: list[str]
    totals: list[Cell]  # respondents in each group
    cells: list[list[Cell]]
    column_totals: list[Cell]  # each option's count over the groups, then all respondents
    k: int


# Protection -----------------------------------------------------------------------------------


def checked_k(k: int) -> int:
    if k < LOWEST_K:
        raise Invalid("k", f"the smallest group shown must be at least {LOWEST_K}, not {k}")
    return k


def protect_total(total: int, k: int) -> Cell:
    """A total alone is shown if at least k make it (or none at all)."""
    return total if total >= k or total == 0 else None


@dataclass(frozen=True)
class Protected:
    """A table as it may be shown: its cells, and its margins (the last is the grand total)."""

    cells: list[list[Cell]]
    row_totals: list[Cell]
    column_totals: list[Cell]


def protect_line(values: list[int], k: int, total: int | None = None) -> tuple[list[Cell], Cell]:
    """A one-way distribution and its total (the sum, unless given: the respondents of a
    multiple-choice question choose more than one each), protected as a table of one row."""
    table = protect([values], k, [sum(values) if total is None else total])
    return table.cells[0], table.row_totals[0]


def protect(matrix: list[list[int]], k: int, row_totals: list[int] | None = None) -> Protected:
    """A table with its row totals (the sums, unless given) and column totals, all of which
    are shown: counts from 1 to k−1 are suppressed, margins included; then, until no row or
    column (margins included) has exactly one cell hidden, which its total would give away,
    the smallest other cell of such a line is hidden too."""
    if not matrix:
        return Protected([], [], [])
    totals = row_totals if row_totals is not None else [sum(row) for row in matrix]
    extended = [[*row, total] for row, total in zip(matrix, totals, strict=True)]
    extended.append([*(sum(column) for column in zip(*matrix, strict=True)), sum(totals)])
    hidden = [[0 < v < k for v in row] for row in extended]
    # A group too small to show hides all it holds, zeros too: with its total hidden, its zeros
    # would say where its few answers went. So does an option chosen by too few.
    for r, row in enumerate(extended):
        if 0 < row[-1] < k:
            hidden[r] = [True] * len(row)
    for c in range(len(extended[0])):
        if 0 < extended[-1][c] < k:
            for flags in hidden:
                flags[c] = True
    changed = True
    while changed:
        changed = False
        for r, row in enumerate(extended):
            changed |= _complete(row, hidden[r])
        for c in range(len(extended[0])):
            column = [row[c] for row in extended]
            flags = [hidden[r][c] for r in range(len(extended))]
            if _complete(column, flags):
                changed = True
                for r, flag in enumerate(flags):
                    hidden[r][c] = flag
    shown = [[None if h else v for v, h in zip(row, flags, strict=True)]
             for row, flags in zip(extended, hidden, strict=True)]  # fmt: skip
    return Protected([row[:-1] for row in shown[:-1]], [row[-1] for row in shown[:-1]], shown[-1])


def _complete(values: list[int], hidden: list[bool]) -> bool:
    """Hide one more cell of a line with exactly one hidden: the smallest, zeros last (hiding a
    zero beside a small count would point at the count)."""
    if hidden.count(True) != 1:
        return False
    candidates = [(v == 0, v, i) for i, (v, h) in enumerate(zip(values, hidden, strict=True))
                  if not h]  # fmt: skip
    if not candidates:
        return False
    hidden[min(candidates)[2]] = True
    return True


# Reading ------------------------------------------------------------------------------------


def survey_results(
    db: Database,
    *,
    actor: Actor,
    survey_id: int,
    k: int = DEFAULT_K,
    subgroup: Subgroup | None = None,
) -> Results:
    """Everything the results screen shows, protected."""
    actor.require(Role.admin, Role.editor, Role.analyst)
    k, subgroup = checked_k(k), subgroup or Subgroup()
    with db.read() as session:
        survey, spec = survey_and_spec(session, survey_id)
        if subgroup.interest and survey.anonymous:
            raise Invalid("interest", "an anonymous survey's answers are linked to no interests")
        mine = _responses(survey_id, subgroup)
        responses = session.execute(select(func.count()).select_from(Response).where(mine))
        total = responses.scalar_one()
        questions = _questions(session, spec, mine if subgroup else None, k)
        progress = _progress(session, survey_id)
    return Results(survey_id, spec.title, survey.anonymous, k, subgroup, protect_total(total, k),
                   progress,
                   questions)  # fmt: skip


def breakdown(
    db: Database,
    *,
    actor: Actor,
    survey_id: int,
    question: str,
    dimension: str,
    k: int = DEFAULT_K,
) -> Breakdown:
    """One choice or scale question's answers by gender, age band, district or interest."""
    actor.require(Role.admin, Role.editor, Role.analyst)
    k = checked_k(k)
    if dimension not in DIMENSIONS:
        raise Invalid("dimension", f"{dimension!r} is not one of {', '.join(DIMENSIONS)}")
    with db.read() as session:
        survey, spec = survey_and_spec(session, survey_id)
        asked = next((q for q in spec.questions if q.key == question), None)
        if asked is None:
            raise NotFound(f"the survey has no question {question!r}")
        if asked.kind not in CHOICE_KINDS:
            raise Invalid("question", "only choice and scale questions are broken down")
        if dimension == "interest" and survey.anonymous:
            raise Invalid("dimension", "an anonymous survey's answers are linked to no interests")
        group = _group_column(dimension)
        joined = _joined(select(group, _value(asked), func.count()), dimension).where(
            Response.survey_id == survey_id, Answer.question_id == asked.id
        )
        counts: dict[tuple[str, str], int] = {}
        for name, value, count in session.execute(joined.group_by(group, _value(asked))):
            counts[(name or "–", _label(asked, value))] = count
        sizes = _joined(select(group, func.count(distinct(Answer.response_id))), dimension).where(
            Response.survey_id == survey_id, Answer.question_id == asked.id
        )
        size = {name or "–": n for name, n in session.execute(sizes.group_by(group))}
    labels = _labels(asked)
    groups = _ordered(dimension, size)
    matrix = [[counts.get((g, label), 0) for label in labels] for g in groups]
    table = protect(matrix, k, [size[g] for g in groups])
    return Breakdown(asked.text, dimension, groups, labels, table.row_totals, table.cells,
                     table.column_totals, k)  # fmt: skip


@dataclass(frozen=True)
class TextAnswer:
    id: int
    text: str
    quoted: bool  # chosen for the published report


def text_answers(
    db: Database, *, actor: Actor, survey_id: int, question: str, search: str = ""
) -> list[TextAnswer]:
    """The free-text answers to a question, newest first, those containing `search` if given.
    Staff read them to pick quotes; they carry no name. Not for analysts, who get aggregates
    only: a sentence can say who wrote it."""
    actor.require(Role.admin, Role.editor)
    with db.read() as session:
        _survey_row, spec = survey_and_spec(session, survey_id)
        asked = next((q for q in spec.questions if q.key == question), None)
        if asked is None or asked.kind != "text":
            raise NotFound(f"the survey has no free-text question {question!r}")
        query = (
            select(Answer.id, Answer.text_value, Answer.quoted)
            .where(Answer.question_id == asked.id, col(Answer.text_value).is_not(None))
            .order_by(col(Answer.id).desc())
        )
        texts = [TextAnswer(i, text, quoted) for i, text, quoted in session.execute(query) if text]
    needle = search.casefold().strip()
    return [t for t in texts if needle in t.text.casefold()] if needle else texts


# Helpers ------------------------------------------------------------------------------------


def survey_and_spec(session: Session, survey_id: int) -> tuple[Survey, SurveySpec]:
    """The survey and its questions as read; NotFound for an unknown id."""
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound(f"no survey has the id {survey_id}")
    return survey, load_spec(session, survey)


def _responses(survey_id: int, subgroup: Subgroup) -> ColumnElement[bool]:
    """The responses counted: the survey's, narrowed to the subgroup."""
    conditions = [Response.survey_id == survey_id]
    for name in ("gender", "age_band", "district"):
        value = getattr(subgroup, name)
        if value:
            conditions.append(getattr(Response, name) == value)
    if subgroup.interest:
        conditions.append(
            col(Response.participant_id).in_(
                select(ParticipantInterest.participant_id)
                .join(InterestRow, col(InterestRow.id) == ParticipantInterest.interest_id)
                .where(InterestRow.name == subgroup.interest)
            )
        )
    return and_(*conditions)


RESPONDENTS = -1  # the "value" of a multiple-choice question's respondent count in `_questions`


def _questions(
    session: Session, spec: SurveySpec, mine: ColumnElement[bool] | None, k: int
) -> list[QuestionResult]:
    """Every question's counts in one statement: for each question a GROUP BY on its own
    answers (by option, or by value), which its index reaches directly, and for multiple choice,
    the only kind with more than one answer row per respondent, the respondents too."""
    subgroup = (
        [] if mine is None else [col(Answer.response_id).in_(select(Response.id).where(mine))]
    )
    parts = []
    for question in spec.questions:
        assert question.id is not None
        where = [Answer.question_id == question.id, *subgroup]
        value = Answer.option_id if question.kind in ("single", "multiple") else Answer.number_value
        parts.append(
            select(literal(question.id), value, func.count()).where(*where).group_by(value)
        )
        if question.kind == "multiple":
            parts.append(
                select(
                    literal(question.id),
                    literal(RESPONDENTS),
                    func.count(distinct(Answer.response_id)),
                ).where(*where)
            )
    rows: dict[int, list[tuple[float | int | None, int]]] = {}
    if parts:
        for question_id, key, count in session.execute(union_all(*parts)):
            rows.setdefault(question_id, []).append((key, count))
    found = []
    for question in spec.questions:
        assert question.id is not None
        chosen: dict[int, int] = {}
        values: Counter[float] = Counter()
        total = respondents = 0
        for key, count in rows.get(question.id or 0, []):
            if question.kind == "multiple" and key == RESPONDENTS:
                respondents = count
                continue
            total += count
            if key is None:
                continue
            if question.kind in ("single", "multiple"):
                chosen[int(key)] = count
            else:
                values[float(key)] = count
        answered = respondents if question.kind == "multiple" else total
        found.append(_question(question, answered, chosen, values, k))
    return found


def _question(
    question: QuestionSpec, answered: int, chosen: dict[int, int], values: Counter[float], k: int
) -> QuestionResult:
    shown_n = protect_total(answered, k)
    if question.kind == "text":
        return QuestionResult(question.key, question.text, question.kind, shown_n,
                              texts=shown_n)  # fmt: skip
    if question.kind in ("single", "multiple"):
        counts = [chosen.get(option.id or 0, 0) for option in question.options]
        labels = question.labels
    elif question.kind == "scale":
        labels = question.values()
        counts = [values.get(float(v), 0) for v in labels]
    else:
        labels, counts = [], []
    protected, shown_n = protect_line(counts, k, answered) if counts else ([], shown_n)
    shares = [
        Share(label, count, count / answered if count is not None and answered else None)
        for label, count in zip(labels, protected, strict=True)
    ]
    summary = _summary(values, k) if question.kind in ("scale", "number") else None
    return QuestionResult(question.key, question.text, question.kind, shown_n, shares, summary)


def _summary(values: Counter[float], k: int) -> NumberSummary | None:
    """Mean, median and range of the numbers given; None when fewer than k gave one. The range
    shows the 5th and 95th percentiles rather than the extremes, which one person sets."""
    n = sum(values.values())
    if n < k:
        return None
    ordered = sorted(values.elements())
    mean = sum(v * c for v, c in values.items()) / n
    cuts = statistics.quantiles(ordered, n=20, method="inclusive") if n > 1 else ordered * 19
    return NumberSummary(n, mean, statistics.median(ordered), cuts[0], cuts[-1])


def _progress(session: Session, survey_id: int) -> Progress:
    of_survey = Invitation.survey_id == survey_id
    invited, delivered, started, completed = session.execute(
        select(
            func.count(),
            func.count(Invitation.sent_at),
            func.count(func.coalesce(Invitation.started_at, Invitation.completed_at)),
            func.count(Invitation.completed_at),
        ).where(of_survey)
    ).one()
    undeliverable = session.execute(
        select(func.count()).where(
            Message.survey_id == survey_id,
            Message.kind == "invitation",
            Message.status == MessageStatus.failed,
        )
    ).scalar_one()
    days: Counter[date] = Counter()
    hour = _hour(session, Response.submitted_at)
    for moment, count in session.execute(
        select(hour, func.count()).where(Response.survey_id == survey_id).group_by(hour)
    ):
        days[_local_day(moment)] += count
    return Progress(invited, delivered, undeliverable, started, completed, sorted(days.items()))


def _hour(session: Session, column):
    """The UTC hour a time falls in, computed in the database: answers a day are counted in
    Norwegian days, and a day in Norway begins at a whole hour of UTC."""
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(column, 1, 13)  # stored as "YYYY-MM-DD HH:MM:SS…"
    return func.date_trunc("hour", column)


def _local_day(moment: str | datetime) -> date:
    if isinstance(moment, str):
        moment = datetime.strptime(moment[:13], "%Y-%m-%d %H").replace(tzinfo=UTC)
    return moment.astimezone(LOCAL).date()


def _group_column(dimension: str):
    return InterestRow.name if dimension == "interest" else getattr(Response, dimension)


def _joined(query, dimension: str):
    query = query.select_from(Answer).join(Response, col(Response.id) == Answer.response_id)
    if dimension == "interest":
        query = query.join(
            ParticipantInterest, ParticipantInterest.participant_id == Response.participant_id
        ).join(InterestRow, col(InterestRow.id) == ParticipantInterest.interest_id)
    return query


def _value(question: QuestionSpec):
    return Answer.option_id if question.kind != "scale" else Answer.number_value


def _label(question: QuestionSpec, value) -> str:
    if question.kind == "scale":
        return str(int(value)) if value is not None else "–"
    return next((o.label for o in question.options if o.id == value), "–")


def _labels(question: QuestionSpec) -> list[str]:
    return question.values() if question.kind == "scale" else question.labels


def _ordered(dimension: str, size: dict[str, int]) -> list[str]:
    if dimension == "age_band":
        order = [label for label, _low, _high in AGE_BANDS]
        return sorted(size, key=lambda g: order.index(g) if g in order else len(order))
    return sorted(size, key=lambda g: (g == "–", g))
