"""Weights that make a survey's respondents match the population's margins, by raking.

Raking (iterative proportional fitting) adjusts the weights one margin at a time, age band,
gender, district, over and over, until the weighted respondents match the population table on
each margin. A respondent's weight depends only on their cell (age band × gender × district), so
raking runs over at most a few hundred cells however many answered: no per-response arithmetic,
and no numerical library (the ones that rake, such as ipfn or weightipy, bring numpy or pandas
for these thirty lines).

Respondents with a group unknown keep weight 1 and are left out of raking; a group of the
population with no respondents cannot be matched and is reported, and the other groups of its
margin are matched among themselves. Weights are scaled to average 1 over those raked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import col

from .actors import Actor
from .db import Database
from .models import Answer, PopulationCell, Response
from .results import DEFAULT_K, checked_k, protect_line, survey_and_spec
from .roles import Role
from .survey_spec import QuestionSpec

Cell = tuple[str, str, str]  # age band, gender, district
MARGINS = ("age_band", "gender", "district")
MAX_ITERATIONS = 200
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Weighting:
    weights: dict[Cell, float]  # a raked respondent's weight, by cell
    raked: int  # respondents with every group known
    unknown: int  # respondents left at weight 1
    effective_n: float  # (Σw)² / Σw²: what the weighted sample is worth
    iterations: int
    converged: bool
    unmatched: list[str]  # "district=Fornebu": population groups with no respondent


@dataclass(frozen=True)
class WeightedShare:
    label: str
    share: float | None  # None where the unweighted count is hidden


def rake(sample: Counter[Cell], population: Counter[Cell]) -> tuple[dict[Cell, float], int, bool]:
    """Weights by cell so that the weighted `sample` has the margins of `population`;
    with the iterations taken and whether they converged."""
    weights = {cell: 1.0 for cell in sample}
    targets = []
    total = sum(sample.values())
    for m in range(len(MARGINS)):
        present = {cell[m] for cell in sample}
        share = Counter()
        for cell, count in population.items():
            if cell[m] in present:
                share[cell[m]] += count
        whole = sum(share.values())
        targets.append({group: total * n / whole for group, n in share.items()} if whole else {})
    for iteration in range(1, MAX_ITERATIONS + 1):
        change = 0.0
        for m, target in enumerate(targets):
            if not target:
                continue
            current: Counter[str] = Counter()
            for cell, count in sample.items():
                current[cell[m]] += weights[cell] * count
            for cell in weights:
                wanted = target.get(cell[m])
                if wanted is None or not current[cell[m]]:
                    continue
                factor = wanted / current[cell[m]]
                change = max(change, abs(factor - 1))
                weights[cell] *= factor
        if change < TOLERANCE:
            return weights, iteration, True
    return weights, MAX_ITERATIONS, False


def survey_weighting(db: Database, *, actor: Actor, survey_id: int) -> Weighting | None:
    """The raking weights of a survey's respondents; None when no population table is loaded."""
    actor.require(Role.admin, Role.editor, Role.analyst)
    with db.read() as session:
        population: Counter[Cell] = Counter()
        for band, gender, district, count in session.execute(
            select(PopulationCell.age_band, PopulationCell.gender, PopulationCell.district,
                   PopulationCell.count)
        ):  # fmt: skip
            population[(band, gender, district)] += count
        sample: Counter[Cell] = Counter()
        unknown = 0
        for band, gender, district, count in session.execute(
            select(Response.age_band, Response.gender, Response.district, func.count())
            .where(Response.survey_id == survey_id)
            .group_by(Response.age_band, Response.gender, Response.district)
        ):
            if band and gender and district:
                sample[(band, gender, district)] += count
            else:
                unknown += count
    if not population:
        return None
    weights, iterations, converged = rake(sample, population) if sample else ({}, 0, True)
    raked = sum(sample.values())
    if raked:
        mean = sum(weights[c] * n for c, n in sample.items()) / raked
        weights = {cell: w / mean for cell, w in weights.items()}
    total = sum(weights[c] * n for c, n in sample.items()) + unknown
    squares = sum(weights[c] ** 2 * n for c, n in sample.items()) + unknown
    unmatched = sorted(
        f"{MARGINS[m]}={group}"
        for m in range(len(MARGINS))
        for group in {cell[m] for cell in population} - {cell[m] for cell in sample}
    )
    return Weighting(weights, raked, unknown, total**2 / squares if squares else 0.0, iterations,
                     converged, unmatched)  # fmt: skip


def weighted_shares(
    db: Database, *, actor: Actor, survey_id: int, weighting: Weighting, k: int = DEFAULT_K
) -> dict[str, list[WeightedShare]]:
    """Each choice or scale question's weighted shares, by question key: the weighted count of
    each option over the weighted respondents. Hidden wherever the count behind it is."""
    actor.require(Role.admin, Role.editor, Role.analyst)
    k = checked_k(k)
    with db.read() as session:
        _survey, survey_spec = survey_and_spec(session, survey_id)
        found: dict[str, list[WeightedShare]] = {}
        for question in survey_spec.questions:
            if question.kind not in ("single", "multiple", "scale"):
                continue
            found[question.key] = _shares(session, question, weighting, k)
    return found


def _shares(session, question: QuestionSpec, weighting: Weighting, k: int) -> list[WeightedShare]:
    value = Answer.option_id if question.kind != "scale" else Answer.number_value
    groups = (Response.age_band, Response.gender, Response.district)
    joined = (
        select(value, *groups, func.count(), func.count(func.distinct(Answer.response_id)))
        .select_from(Answer)
        .join(Response, col(Response.id) == Answer.response_id)
        .where(Answer.question_id == question.id)
        .group_by(value, *groups)
    )
    weighted: Counter = Counter()
    counts: Counter = Counter()
    for key, band, gender, district, count, _people in session.execute(joined):
        weight = weighting.weights.get((band, gender, district), 1.0)
        weighted[key] += weight * count
        counts[key] += count
    respondents = session.execute(
        select(Response.age_band, Response.gender, Response.district,
               func.count(func.distinct(Answer.response_id)))
        .select_from(Answer)
        .join(Response, col(Response.id) == Answer.response_id)
        .where(Answer.question_id == question.id)
        .group_by(*groups)
    ).all()  # fmt: skip
    people = sum(n for *_g, n in respondents)
    base = sum(weighting.weights.get(tuple(g), 1.0) * n for *g, n in respondents)
    if question.kind == "scale":
        keys = [float(v) for v in question.values()]
        labels = question.values()
    else:
        keys = [o.id for o in question.options]
        labels = question.labels
    protected, total = protect_line([counts[key] for key in keys], k, people)
    return [
        WeightedShare(label, weighted[key] / base if total and cell is not None else None)
        for label, key, cell in zip(labels, keys, protected, strict=True)
    ]
