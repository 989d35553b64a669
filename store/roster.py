"""The roster: one page of participants at a time, filtered, searched and sorted in SQL.

Only the rows a screen shows are ever loaded, so the roster stays quick at 100,000 people.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, true
from sqlmodel import Session, col, select

from .actors import Actor
from .db import Database
from .models import Interest, Participant, ParticipantInterest, ParticipantStatus
from .reference import AGE_BANDS
from .roles import Role
from .timeutil import utcnow

SORTS = ("name", "email", "gender", "age", "district", "status", "source", "last_contacted")
_SORT_COLUMNS = {
    "name": col(Participant.name),
    "email": col(Participant.email_key),
    "gender": col(Participant.gender),
    "age": col(Participant.birth_year),
    "district": col(Participant.district),
    "status": col(Participant.status),
    "source": col(Participant.source),
    "last_contacted": col(Participant.last_contacted_at),
}
_ROW_COLUMNS = (
    col(Participant.id),
    col(Participant.name),
    col(Participant.email),
    col(Participant.gender),
    col(Participant.birth_year),
    col(Participant.district),
    col(Participant.status),
    col(Participant.source),
    col(Participant.last_contacted_at),
)
_NOT_ERASED = col(Participant.status) != ParticipantStatus.erased
MAX_CASE_VARIANTS = 3  # non-ASCII letters in a search whose case is tried both ways on SQLite


@dataclass(frozen=True)
class RosterFilter:
    """What staff narrowed the roster to. Empty values mean "any"."""

    search: str = ""
    status: str = ""  # "" shows everyone but the erased
    gender: str = ""
    age_band: str = ""
    district: str = ""
    interest: str = ""
    source: str = ""

    def with_(self, **changes: str) -> RosterFilter:
        return replace(self, **changes)


@dataclass(frozen=True)
class RosterRow:
    id: int
    name: str
    email: str
    gender: str | None
    age: int | None
    district: str | None
    interests: str
    status: str
    source: str | None
    last_contacted_at: datetime | None


@dataclass(frozen=True)
class RosterPage:
    rows: list[RosterRow]
    offset: int
    matching: int  # rows the filter matches
    total: int  # everyone on the roster (all but the erased)


def roster_page(
    db: Database,
    *,
    actor: Actor,
    filter: RosterFilter = RosterFilter(),  # frozen, so safe as a default
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
    count: bool = True,
    total: bool = True,
) -> RosterPage:
    """Rows `offset` to `offset + limit` of the filtered roster, with the counts.

    `count=False` skips counting the matches and `total=False` skips counting everyone (each
    is then -1): a caller scrolling, or typing a search, already has the figure it skips.
    """
    actor.require(Role.admin, Role.editor)
    if sort not in _SORT_COLUMNS:
        raise ValueError(f"cannot sort by {sort!r}")
    order = _SORT_COLUMNS[sort]
    first = order.desc() if descending else order.asc()
    if sort == "age":  # a later birth year is a younger person
        first = order.asc() if descending else order.desc()
    with db.read() as session:
        condition = _condition(session, filter)
        query = (
            select(*_ROW_COLUMNS)
            .where(condition)
            .order_by(first, col(Participant.id))
            .offset(offset)
            .limit(limit)
        )
        people = session.exec(query).all()
        interests = _interests_of(session, [p.id for p in people])
        matching = _count(session, condition) if count else -1
        everyone = -1
        if total:
            plain = filter == RosterFilter()
            everyone = matching if plain and count else _count(session, _NOT_ERASED)
    year = utcnow().year
    rows = [
        RosterRow(
            id=p.id,
            name=p.name or "",
            email=p.email or "",
            gender=p.gender,
            age=year - p.birth_year if p.birth_year else None,
            district=p.district,
            interests=", ".join(interests.get(p.id, [])),
            status=p.status,
            source=p.source,
            last_contacted_at=p.last_contacted_at,
        )
        for p in people
    ]
    return RosterPage(rows=rows, offset=offset, matching=matching, total=everyone)


def filtered_ids(session: Session, filter: RosterFilter) -> Select:
    """The ids the filter matches, for operations on the whole selection (export)."""
    return select(Participant.id).where(_condition(session, filter)).order_by(Participant.id)


def filter_choices(db: Database, *, actor: Actor) -> dict[str, list[str]]:
    """The values each filter offers, from what the roster holds."""
    actor.require(Role.admin, Role.editor)
    from .participants import known_districts, known_interests

    with db.read() as session:
        sources = session.exec(
            select(Participant.source)
            .where(col(Participant.source).is_not(None))
            .distinct()
            .order_by(Participant.source)
        ).all()
        return {
            "status": [s.value for s in ParticipantStatus],
            "gender": ["female", "male", "other"],
            "age_band": [label for label, _low, _high in AGE_BANDS],
            "district": known_districts(session),
            "interest": known_interests(session),
            "source": [s for s in sources if s],
        }


def _count(session: Session, condition: ColumnElement[bool]) -> int:
    return session.exec(select(func.count()).select_from(Participant).where(condition)).one()


def _condition(session: Session, f: RosterFilter) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = [
        col(Participant.status) == f.status if f.status else _NOT_ERASED
    ]
    for value, column in (
        (f.gender, col(Participant.gender)),
        (f.district, col(Participant.district)),
        (f.source, col(Participant.source)),
    ):
        if value:
            parts.append(column == value)
    if f.age_band:
        parts.append(_age_band(f.age_band))
    if f.interest:
        interest_id = select(Interest.id).where(Interest.name == f.interest).scalar_subquery()
        members = select(ParticipantInterest.participant_id).where(
            ParticipantInterest.interest_id == interest_id
        )
        parts.append(col(Participant.id).in_(members))
    if f.search.strip():
        parts.append(_search(session, f.search.strip()))
    return parts[0] if len(parts) == 1 else and_(*parts)


def _age_band(label: str) -> ColumnElement[bool]:
    year = utcnow().year
    for name, low, high in AGE_BANDS:
        if name == label:
            return col(Participant.birth_year).between(year - high, year - low)
    raise ValueError(f"unknown age band {label!r}")


def _search(session: Session, text: str) -> ColumnElement[bool]:
    """Name or email containing `text`, ignoring case, æøå included."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    name = col(Participant.name)
    email = col(Participant.email_key).like(f"%{escaped.casefold()}%", escape="\\")
    if session.get_bind().dialect.name != "sqlite":
        return or_(name.ilike(f"%{escaped}%", escape="\\"), email)
    # SQLite's LIKE folds ASCII case only, so try each non-ASCII letter both ways.
    names = [name.like(f"%{variant}%", escape="\\") for variant in _case_variants(escaped)]
    return or_(*names, email) if names else true()


def _case_variants(text: str) -> list[str]:
    positions = [i for i, ch in enumerate(text) if not ch.isascii() and ch.lower() != ch.upper()]
    positions = positions[:MAX_CASE_VARIANTS]
    variants = []
    for choice in itertools.product((str.lower, str.upper), repeat=len(positions)):
        chars = list(text)
        for position, fold in zip(positions, choice, strict=True):
            chars[position] = fold(chars[position])
        variants.append("".join(chars))
    return variants


def _interests_of(session: Session, ids: list[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    rows = session.exec(
        select(ParticipantInterest.participant_id, Interest.name)
        .join(Interest, col(Interest.id) == ParticipantInterest.interest_id)
        .where(col(ParticipantInterest.participant_id).in_(ids))
        .order_by(Interest.name)
    ).all()
    found: dict[int, list[str]] = {}
    for participant_id, name in rows:
        found.setdefault(participant_id, []).append(name)
    return found
