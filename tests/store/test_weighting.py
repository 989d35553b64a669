"""Raking: the weighted respondents match the population's margins, weighted shares equal an
independent computation in Python, and the effective sample size is what its formula says."""

from __future__ import annotations

from collections import Counter

import pytest

from store.models import PopulationCell
from store.weighting import rake, survey_weighting, weighted_shares
from tests.store.test_results import ANALYST, BANDS, DISTRICTS, GENDERS, generate


def load_population(db, *, skip_district: str | None = None) -> Counter:
    """Residents by cell: many more young and many more in Fornebu than the panel has."""
    population: Counter = Counter()
    with db.write() as session:
        for band in (*BANDS, "67+"):
            for gender in GENDERS:
                for district in DISTRICTS:
                    young = 3 if band == "16–24" else 1
                    fornebu = 2 if district == "Fornebu" else 1
                    count = 100 * young * fornebu + (7 if gender == "male" else 0)
                    session.add(PopulationCell(age_band=band, gender=gender, district=district,
                                               count=count))  # fmt: skip
                    population[(band, gender, district)] = count
    return population


def margins(cells: dict, weights: dict | None = None) -> list[dict[str, float]]:
    out = []
    for m in range(3):
        totals: Counter = Counter()
        for cell, n in cells.items():
            totals[cell[m]] += n * (weights[cell] if weights else 1)
        whole = sum(totals.values())
        out.append({group: n / whole for group, n in totals.items()})
    return out


def test_raking_matches_every_margin() -> None:
    sample = Counter({("a", "f", "x"): 30, ("a", "m", "y"): 5, ("b", "f", "y"): 50,
                      ("b", "m", "x"): 15})  # fmt: skip
    population = Counter({("a", "f", "x"): 10, ("a", "m", "y"): 40, ("b", "f", "y"): 20,
                          ("b", "m", "x"): 30, ("a", "f", "y"): 25})  # fmt: skip
    weights, iterations, converged = rake(sample, population)
    assert converged and iterations > 1
    for wanted, got in zip(margins(population), margins(sample, weights), strict=True):
        assert got == pytest.approx(wanted, abs=1e-6)


def test_a_survey_is_weighted_to_the_population(db) -> None:
    survey_id, rows = generate(db, 300)
    assert survey_weighting(db, actor=ANALYST, survey_id=survey_id) is None  # no table yet
    population = load_population(db)
    weighting = survey_weighting(db, actor=ANALYST, survey_id=survey_id)
    assert weighting.converged and weighting.raked == len(rows) and weighting.unknown == 0
    sample = Counter((r["age_band"], r["gender"], r["district"]) for r in rows)
    present = [{cell[m] for cell in sample} for m in range(3)]
    # Each margin matches the population's shares among the groups that answered.
    for m, got in enumerate(margins(sample, weighting.weights)):
        pop = Counter()
        for cell, n in population.items():
            if cell[m] in present[m]:
                pop[cell[m]] += n
        whole = sum(pop.values())
        assert got == pytest.approx({g: n / whole for g, n in pop.items()}, abs=1e-6)
    assert "age_band=67+" in weighting.unmatched  # in the population, not among respondents
    per_response = [weighting.weights[(r["age_band"], r["gender"], r["district"])] for r in rows]
    assert sum(per_response) / len(rows) == pytest.approx(1.0)
    assert weighting.effective_n == pytest.approx(
        sum(per_response) ** 2 / sum(w * w for w in per_response)
    )
    assert weighting.effective_n < len(rows)

    shares = weighted_shares(db, actor=ANALYST, survey_id=survey_id, weighting=weighting)
    weight = dict(zip(range(len(rows)), per_response, strict=True))
    base = sum(weight.values())
    for label, got in zip(("Ja", "Nei", "Vet ikke"), shares["aware"], strict=True):
        expected = sum(weight[i] for i, r in enumerate(rows) if r["aware"] == label) / base
        assert got.label == label and got.share == pytest.approx(expected)
    answered = [i for i, r in enumerate(rows) if r["modes"]]
    base = sum(weight[i] for i in answered)
    for label, got in zip(("Sykkel", "Buss", "Tog"), shares["modes"], strict=True):
        expected = sum(weight[i] for i in answered if label in rows[i]["modes"]) / base
        assert got.share == pytest.approx(expected)
