"""The draw: choosing whom to invite to a workshop from its volunteers, fairly and on the record.

A draw picks N among the volunteers still on the panel and not yet invited: simply at random,
or stratified by any of age band, gender and district, seats in proportion to the volunteers'
own groups. Favouring under-represented groups gives the seats in proportion to the
population table instead, so a group that volunteered less than its share of the municipality
(often the young) gets more seats than its share of volunteers would give it.

Everything the result depends on is recorded with it: the method, the strata, the seed, the
pool with each volunteer's group at the time, and the weights. So the draw can be shown to
anyone who asks and repeated exactly (`repeat_draw`), even after people move or have birthdays.
Inviting those drawn writes the draw, the invitations and their emails in one transaction.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid, NotFound
from .events import (
    EventMail,
    facts,
    invite_token,
    new_batch,
    open_event,
    rsvp_link,
    session_calendar,
    store_letters,
    token_hash,
)
from .links import new_salts
from .models import (
    EventDraw,
    EventInvite,
    EventVolunteer,
    Participant,
    ParticipantStatus,
    PopulationCell,
    RsvpState,
)
from .reference import age_band
from .roles import Role
from .sampling import UNKNOWN, counts, proportional, stratified
from .sealing import LINK, seal
from .sending import Queued, outbox_row, reachable_people, write_batch
from .timeutil import utcnow

METHODS = ("random", "stratified")
STRATA = ("age_band", "gender", "district")


@dataclass(frozen=True)
class DrawRequest:
    size: int
    method: str = "stratified"
    strata: tuple[str, ...] = STRATA
    favour: bool = False  # seats in proportion to the population, not to the volunteers
    seed: int | None = None  # None: a new one is drawn and recorded


@dataclass(frozen=True)
class DrawStratum:
    group: tuple[str, ...]  # one value per stratum dimension, in the request's order
    available: int
    target: float  # the seats the rule gives it, before rounding
    chosen: int


@dataclass
class DrawPlan:
    event_id: int
    request: DrawRequest
    seed: int
    pool: list[list[Any]]  # [participant id, *group], sorted by id
    weights: dict[tuple[str, ...], float]
    chosen: list[int]
    strata: list[DrawStratum] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)  # reason → count

    def explain(self) -> str:
        """One line saying how the draw was made, for staff and for anyone who asks."""
        how = (
            "simple random"
            if self.request.method == "random"
            else (
                "stratified by "
                + " × ".join(s.replace("_", " ") for s in self.request.strata)
                + (
                    ", seats in proportion to the population"
                    if self.request.favour
                    else ", seats in proportion to the volunteers"
                )
            )
        )
        return f"{len(self.chosen)} of {len(self.pool)} volunteers, {how}, seed {self.seed}"


def plan_draw(db: Database, *, actor: Actor, event_id: int, request: DrawRequest) -> DrawPlan:
    """Draw among an event's volunteers; writes nothing."""
    actor.require(Role.admin, Role.editor)
    _check(request)
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    year = utcnow().year
    with db.read() as session:
        from .events import get_event

        get_event(session, event_id)
        invited = set(
            session.exec(
                select(EventInvite.participant_id).where(EventInvite.event_id == event_id)
            ).all()
        )
        rows = session.exec(
            select(
                Participant.id,
                Participant.status,
                Participant.undeliverable_at,
                Participant.birth_year,
                Participant.gender,
                Participant.district,
            )
            .join(EventVolunteer, col(EventVolunteer.participant_id) == Participant.id)
            .where(
                EventVolunteer.event_id == event_id, col(EventVolunteer.volunteered_at).is_not(None)
            )
            .order_by(col(Participant.id))
        ).all()
        weights: dict[tuple[str, ...], float] = {}
        if request.method == "stratified" and request.favour:
            weights = _population(session, request.strata)
    left_out: dict[str, int] = {}
    pool: list[list[Any]] = []
    for person_id, status, undeliverable, birth_year, gender, district in rows:
        if person_id in invited:
            reason = "already_invited"
        elif status != ParticipantStatus.active or undeliverable is not None:
            reason = "not_reachable"
        else:
            values = {
                "age_band": age_band(birth_year, year) if birth_year else None,
                "gender": gender,
                "district": district,
            }
            pool.append([person_id, *((values[s] or UNKNOWN) for s in request.strata)])
            continue
        left_out[reason] = left_out.get(reason, 0) + 1
    if request.method == "stratified" and not request.favour:
        weights = {k: float(v) for k, v in counts([tuple(p) for p in pool]).items()}
    chosen, targets = draw(pool, request.size, request.method, weights, seed)
    if request.size > len(pool):
        left_out["not_enough"] = request.size - len(pool)
    return DrawPlan(
        event_id, request, seed, pool, weights, chosen, _report(pool, targets, chosen), left_out
    )


def draw(
    pool: list[list[Any]],
    size: int,
    method: str,
    weights: dict[tuple[str, ...], float],
    seed: int,
) -> tuple[list[int], dict[tuple[str, ...], float]]:
    """The draw itself, a pure function of what is recorded: (chosen ids, seats per group)."""
    rows = [tuple(p) for p in sorted(pool, key=lambda p: p[0])]
    rng = random.Random(seed)
    if size >= len(rows):
        return [r[0] for r in rows], {k: float(v) for k, v in counts(rows).items()}
    if method == "random":
        return [r[0] for r in rng.sample(rows, size)], proportional(counts(rows), size)
    return stratified(rows, size, weights, rng)


def _check(request: DrawRequest) -> None:
    if request.method not in METHODS:
        raise Invalid("method", f"must be one of {', '.join(METHODS)}")
    if request.size < 1:
        raise Invalid("size", "draw at least one")
    if request.method == "stratified":
        if not request.strata:
            raise Invalid("strata", "a stratified draw needs at least one of " + ", ".join(STRATA))
        for name in request.strata:
            if name not in STRATA:
                raise Invalid("strata", f"{name!r} is not one of {', '.join(STRATA)}")


def _population(session, strata: tuple[str, ...]) -> dict[tuple[str, ...], float]:
    columns = [getattr(PopulationCell, name) for name in strata]
    rows = session.exec(select(*columns, func.sum(PopulationCell.count)).group_by(*columns)).all()
    if not rows:
        raise Invalid("favour", "there are no population figures: load them with panel population")
    return {tuple(row[:-1]): float(row[-1]) for row in rows}


def _report(
    pool: list[list[Any]], targets: dict[tuple[str, ...], float], chosen: list[int]
) -> list[DrawStratum]:
    available = counts([tuple(p) for p in pool])
    picked = set(chosen)
    got = counts([tuple(p) for p in pool if p[0] in picked])
    keys = sorted(set(available) | {k for k, v in targets.items() if v > 0})
    return [
        DrawStratum(k, available.get(k, 0), round(targets.get(k, 0.0), 2), got.get(k, 0))
        for k in keys
    ]


def invite_drawn(
    db: Database, key_: Any, *, actor: Actor, plan: DrawPlan, mail: EventMail
) -> Queued:
    """Record the draw and invite those it chose: an invitation with a personal link and one
    email each, in one transaction. With a single session, the email carries its calendar
    file; with several, the resident picks one first."""
    actor.require(Role.admin, Role.editor)
    now = utcnow()
    with db.write() as session:
        event = open_event(session, plan.event_id)
        info = facts(session, event)
        if not info.sessions:
            raise Invalid("sessions", "add a session before inviting anyone")
        invited = set(
            session.exec(
                select(EventInvite.participant_id).where(EventInvite.event_id == plan.event_id)
            ).all()
        )
        people = [p for p in reachable_people(session, plan.chosen) if p[0] not in invited]
        record = EventDraw(
            event_id=plan.event_id,
            method=plan.request.method,
            strata=list(plan.request.strata) if plan.request.method == "stratified" else [],
            favour=plan.request.favour,
            seed=plan.seed,
            size=plan.request.size,
            pool=plan.pool,
            chosen=plan.chosen,
            report=[
                {
                    "group": list(s.group),
                    "available": s.available,
                    "target": s.target,
                    "chosen": s.chosen,
                }
                for s in plan.strata
            ]
            + [{"weights": [[list(k), w] for k, w in sorted(plan.weights.items())]}],
            created_by=actor.id,
            created_by_name=actor.username,
        )
        session.add(record)
        batch = new_batch(session, actor, plan.event_id, "event-invitation", len(people))
        letters = {lang: mail.write("event-invitation", lang, info) for lang in ("nb", "en")}
        stored = store_letters(session, batch, "event-invitation", letters, mail.mailing, link=LINK)
        session.flush()
        attachments = None
        if len(info.sessions) == 1:
            attachments = [session_calendar(event, info.sessions[0], mail.mailing, None)]
        invites, messages = [], []
        salts, uniques = new_salts(len(people)), new_salts(len(people))
        for person, salt, unique in zip(people, salts, uniques, strict=True):
            token = invite_token(key_, salt)
            invites.append(
                EventInvite(
                    event_id=plan.event_id,
                    participant_id=person[0],
                    draw_id=record.id,
                    token_hash=token_hash(key_, token),
                    link_salt=salt,
                    state=RsvpState.invited,
                    invited_at=now,
                )
            )
            message = outbox_row(
                stored, mail.mailing, f"event-invite:{plan.event_id}:{person[0]}", person, unique
            )
            message["sealed"] = seal(key_, {LINK: rsvp_link(mail.mailing.base_url, token)})
            message["attachments"] = attachments
            messages.append(message)
        session.add_all(invites)
        session.flush()
        write_batch(
            session,
            messages,
            {
                "event_id": plan.event_id,
                "batch_id": batch.id,
                "created_at": now,
                "kind": "event-invitation",
            },
        )
        audit.record(
            session,
            actor=actor,
            action="event.drawn",
            target_kind="event",
            target_id=plan.event_id,
            detail={
                "draw": record.id,
                "seed": plan.seed,
                "method": plan.request.method,
                "invited": len(invites),
            },
        )
        return Queued(batch.id, len(messages), len(plan.chosen) - len(people))


def repeat_draw(db: Database, *, actor: Actor, draw_id: int) -> tuple[bool, list[int]]:
    """Run a recorded draw again from its record alone: (whether it chose the same people, in
    the same order, and whom it chose)."""
    actor.require(Role.admin, Role.editor, Role.analyst)
    with db.read() as session:
        record = session.get(EventDraw, draw_id)
        if record is None:
            raise NotFound(f"no draw has the id {draw_id}")
        weights: dict[tuple[str, ...], float] = {}
        for item in record.report or []:
            if "weights" in item:
                weights = {tuple(k): float(w) for k, w in item["weights"]}
        chosen, _targets = draw(record.pool or [], record.size, record.method, weights, record.seed)
        return chosen == (record.chosen or []), chosen
