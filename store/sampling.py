"""Who gets a survey: the eligible panel, the people left out and why, and a fair, repeatable draw.

Eligible are active participants with a deliverable address who match the filter. Left out,
each with its reason: those already invited to this survey, and those contacted within the
last D days (the contact-frequency rule). From the rest, everyone, or a sample of N drawn
simply at random or stratified by age band × gender, in proportion to the eligible panel or to
the population table. The draw depends only on the eligible people and the seed, which is
recorded with the send, so the same seed gives the same people.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from .actors import Actor
from .db import Database
from .errors import Invalid
from .models import (
    EventVolunteer,
    Interest,
    Invitation,
    Participant,
    ParticipantInterest,
    ParticipantStatus,
    PopulationCell,
)
from .reference import AGE_BANDS, age_band
from .roles import Role
from .timeutil import utcnow

METHODS = ("all", "simple", "stratified")
PROPORTIONS = ("panel", "population")
UNKNOWN = "unknown"
DEFAULT_RULE_DAYS = 30


@dataclass(frozen=True)
class Selection:
    """What staff ask for. Empty lists mean "any"."""

    interests: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    method: str = "all"  # all, simple, stratified
    size: int | None = None  # for simple and stratified
    proportional_to: str = "panel"  # for stratified: panel or population
    rest_days: int = DEFAULT_RULE_DAYS  # leave out anyone contacted within this many days
    seed: int | None = None  # None: a new one is drawn and recorded

    def criteria(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Stratum:
    age_band: str
    gender: str
    available: int  # eligible in this stratum
    target: float  # the share the rule gives it, in people (before rounding)
    chosen: int


@dataclass
class Plan:
    """The outcome of a selection, for staff to look at before anything is written."""

    survey_id: int | None
    selection: Selection
    seed: int
    chosen: list[int]  # participant ids, in draw order
    matching: int  # active, deliverable, matching the filter
    left_out: dict[str, int] = field(default_factory=dict)  # reason → count
    strata: list[Stratum] = field(default_factory=list)
    event_id: int | None = None  # a call for volunteers for this event, not a survey send

    def summary(self) -> dict:
        return {
            "matching": self.matching,
            "chosen": len(self.chosen),
            "left_out": dict(self.left_out),
            "strata": [asdict(s) for s in self.strata],
        }


def plan_send(
    db: Database,
    *,
    actor: Actor,
    selection: Selection,
    survey_id: int | None = None,
    event_id: int | None = None,
) -> Plan:
    """Choose the recipients of a survey (or of an event's call for volunteers) by `selection`;
    writes nothing. "Already invited" is to the survey, or asked or volunteered for the event."""
    actor.require(Role.admin, Role.editor)
    _check(selection)
    seed = selection.seed if selection.seed is not None else secrets.randbelow(2**31)
    now = utcnow()
    if event_id is not None:
        already = select(EventVolunteer.participant_id).where(EventVolunteer.event_id == event_id)
    else:
        already = select(Invitation.participant_id).where(Invitation.survey_id == survey_id)
    with db.read() as session:
        people = _matching(session, selection)
        invited = set(session.exec(already).all())
        population = _population(session, selection) if _uses_population(selection) else {}
    cutoff = now - timedelta(days=selection.rest_days) if selection.rest_days > 0 else None
    left_out: Counter[str] = Counter()
    pool: list[tuple[int, str, str]] = []  # (id, age band, gender)
    bands = _bands(now.year)
    for person_id, birth_year, gender, last_contacted in people:
        if person_id in invited:
            left_out["already_invited"] += 1
        elif cutoff is not None and last_contacted is not None and last_contacted > cutoff:
            left_out["contacted_recently"] += 1
        else:
            band = bands.get(birth_year) or age_band(birth_year, now.year) or UNKNOWN
            pool.append((person_id, band, gender or UNKNOWN))
    pool.sort()  # the draw must not depend on the order the database returned rows in
    rng = random.Random(seed)
    size = selection.size if selection.method != "all" else None
    if selection.method == "all" or size is None or size >= len(pool):
        chosen = [person_id for person_id, _band, _gender in pool]
        if selection.method != "all" and size is not None and size > len(pool):
            left_out["not_enough"] = size - len(pool)
        strata = _strata_report(pool, {k: float(v) for k, v in counts(pool).items()}, chosen)
    elif selection.method == "simple":
        chosen = [person_id for person_id, _b, _g in rng.sample(pool, size)]
        strata = _strata_report(pool, proportional(counts(pool), size), chosen)
    else:
        weights = population if selection.proportional_to == "population" else counts(pool)
        chosen, targets = stratified(pool, size, weights, rng)
        strata = _strata_report(pool, targets, chosen)
    return Plan(
        survey_id=survey_id,
        event_id=event_id,
        selection=selection,
        seed=seed,
        chosen=chosen,
        matching=len(people),
        left_out=dict(left_out),
        strata=strata,
    )


def _bands(year: int) -> dict[int | None, str]:
    """The age band of every birth year in `year`, to look up rather than work out per person."""
    return {born: age_band(born, year) or UNKNOWN for born in range(year - 120, year + 1)}


def _check(s: Selection) -> None:
    if s.method not in METHODS:
        raise Invalid("method", f"must be one of {', '.join(METHODS)}")
    if s.method != "all" and (s.size is None or s.size < 1):
        raise Invalid("size", "a sample needs a size of at least 1")
    if s.proportional_to not in PROPORTIONS:
        raise Invalid("proportional_to", f"must be one of {', '.join(PROPORTIONS)}")
    if s.rest_days < 0:
        raise Invalid("rest_days", "cannot be negative")
    known = {label for label, _low, _high in AGE_BANDS}
    for band in s.age_bands:
        if band not in known:
            raise Invalid("age_bands", f"{band!r} is not one of {', '.join(sorted(known))}")


def _uses_population(s: Selection) -> bool:
    return s.method == "stratified" and s.proportional_to == "population"


def _matching(session: Session, s: Selection) -> list[tuple]:
    query = select(
        Participant.id, Participant.birth_year, Participant.gender, Participant.last_contacted_at
    ).where(
        Participant.status == ParticipantStatus.active,
        col(Participant.undeliverable_at).is_(None),
        col(Participant.email).is_not(None),
    )
    if s.districts:
        query = query.where(col(Participant.district).in_(s.districts))
    if s.genders:
        query = query.where(col(Participant.gender).in_(s.genders))
    if s.sources:
        query = query.where(col(Participant.source).in_(s.sources))
    if s.age_bands:
        year = utcnow().year
        bands = [
            col(Participant.birth_year).between(year - high, year - low)
            for label, low, high in AGE_BANDS
            if label in s.age_bands
        ]
        query = query.where(or_(*bands))
    if s.interests:
        members = (
            select(ParticipantInterest.participant_id)
            .join(Interest, col(Interest.id) == ParticipantInterest.interest_id)
            .where(col(Interest.name).in_(s.interests))
        )
        query = query.where(col(Participant.id).in_(members))
    return list(session.exec(query).all())


def _population(session: Session, s: Selection) -> dict[tuple[str, str], float]:
    query = select(PopulationCell.age_band, PopulationCell.gender, func.sum(PopulationCell.count))
    if s.districts:
        query = query.where(col(PopulationCell.district).in_(s.districts))
    rows = session.exec(query.group_by(PopulationCell.age_band, PopulationCell.gender)).all()
    if not rows:
        raise Invalid(
            "proportional_to", "there are no population figures: load them with panel population"
        )
    return {(band, gender): float(count) for band, gender, count in rows}


def counts(pool: list[tuple]) -> dict[tuple, int]:
    """People per stratum; a pool's rows are (id, *stratum)."""
    return dict(Counter(row[1:] for row in pool))


def proportional(weights: dict[tuple, float], size: int) -> dict[tuple, float]:
    total = sum(weights.values())
    return {k: size * w / total for k, w in weights.items()} if total else {}


def stratified(
    pool: list[tuple],
    size: int,
    weights: dict[tuple, float],
    rng: random.Random,
) -> tuple[list[int], dict[tuple, float]]:
    """Draw `size` people from `pool`, rows of (id, *stratum), each stratum in proportion to
    `weights` as far as it has people.

    Strata without weight (say, unknown age) get none unless the others run out. A stratum
    short of people gives its shortfall to the rest, in proportion again. Seats are rounded by
    largest remainder, ties broken by the seeded generator.
    """
    members: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for row in pool:
        members[row[1:]].append(row[0])
    targets = proportional({k: w for k, w in weights.items() if k in members}, size)
    seats = {k: 0 for k in members}
    open_strata = {k for k in members if weights.get(k, 0) > 0} or set(members)
    left = size
    while left > 0 and open_strata:
        share = proportional({k: weights.get(k, 1.0) for k in open_strata}, left)
        whole = {k: min(int(v), len(members[k]) - seats[k]) for k, v in share.items()}
        for k, n in whole.items():
            seats[k] += n
        left -= sum(whole.values())
        remainders = sorted(
            (k for k in open_strata if seats[k] < len(members[k])),
            key=lambda k: (share[k] - int(share[k]), rng.random()),
            reverse=True,
        )
        for k in remainders[:left]:
            seats[k] += 1
        left = size - sum(seats.values())
        open_strata = {k for k in open_strata if seats[k] < len(members[k])}
        if left > 0 and not open_strata:  # the weighted strata are exhausted: use the rest
            open_strata = {k for k in members if seats[k] < len(members[k])}
            weights = {k: 1.0 for k in open_strata}
    chosen: list[int] = []
    for k in sorted(members):
        chosen.extend(rng.sample(members[k], seats[k]))
    return chosen, targets


def _strata_report(
    pool: list[tuple[int, str, str]], targets: dict[tuple[str, str], float], chosen: list[int]
) -> list[Stratum]:
    available = counts(pool)
    picked = set(chosen)
    got = Counter((band, gender) for person_id, band, gender in pool if person_id in picked)
    order = {label: n for n, (label, _low, _high) in enumerate(AGE_BANDS)}
    keys = sorted(set(available) | set(targets), key=lambda k: (order.get(k[0], len(order)), k[1]))
    return [
        Stratum(k[0], k[1], available.get(k, 0), round(targets.get(k, 0.0), 2), got.get(k, 0))
        for k in keys
    ]
