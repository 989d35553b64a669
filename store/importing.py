"""Importing participants from a CSV or XLSX file: first a plan (the report), then the import.

`plan_import` reads and checks the whole file and writes nothing; staff read its report and
confirm, and `apply_import` writes the good rows in one transaction. Imported participants are
active: they consented in the system the file comes from, and the import records that, with
the file's name and the time, as their consent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid, PanelError
from .import_files import (
    FIELDS,
    BadRow,
    CheckedRow,
    FileRefused,
    Progress,
    Sheet,
    check_rows,
    map_columns,
    read_sheet,
)
from .models import Interest, Participant, ParticipantInterest, ParticipantStatus
from .participants import known_districts, known_interests
from .roles import Role
from .timeutil import utcnow

__all__ = ["BadRow", "FileRefused", "ImportPlan", "ImportResult", "apply_import", "plan_import"]
ON_DUPLICATE = ("skip", "update")
_STORED = [getattr(Participant, name) for name in FIELDS]
CHUNK = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class ImportPlan:
    """What importing a file would do; `rows` carries the checked rows to `apply_import`."""

    path: Path
    file_name: str
    kind: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    on_duplicate: str
    rows_total: int
    to_add: int
    to_update: int
    to_skip: int  # already on the panel, left as they are
    unchanged: int  # already on the panel with the same values (update mode)
    bad: tuple[BadRow, ...]  # one per problem; a row may have several
    warnings: tuple[str, ...]
    rows: tuple[CheckedRow, ...] = field(repr=False, default=())

    @property
    def bad_rows(self) -> int:
        return len({problem.line for problem in self.bad})

    @property
    def anything_to_import(self) -> bool:
        return self.to_add + self.to_update > 0


@dataclass(frozen=True)
class ImportResult:
    file_name: str
    added: int
    updated: int
    skipped: int
    unchanged: int
    bad_rows: int


def plan_import(
    db: Database,
    *,
    actor: Actor,
    path: Path,
    on_duplicate: str = "skip",
    progress: Progress | None = None,
) -> ImportPlan:
    """Read and check `path` and compare it with the roster; writes nothing."""
    actor.require(Role.admin, Role.editor)
    if on_duplicate not in ON_DUPLICATE:
        raise Invalid("on_duplicate", "must be skip or update")
    reading, checking = _phases(progress)
    sheet = read_sheet(Path(path), progress=reading)
    columns, warnings = map_columns(sheet)
    with db.read() as session:
        districts = known_districts(session)
        interests = known_interests(session)
        checked, bad = check_rows(
            sheet,
            columns,
            districts=districts,
            interests=interests,
            separators=_separators(sheet),
            progress=checking if sheet.kind == "xlsx" else progress,
        )
        sorting = _sort(session, checked, on_duplicate)
    return ImportPlan(
        path=Path(path),
        file_name=Path(path).name,
        kind=sheet.kind,
        encoding=sheet.encoding,
        delimiter=sheet.delimiter,
        on_duplicate=on_duplicate,
        rows_total=len(sheet.rows),
        to_add=len(sorting.add),
        to_update=len(sorting.update),
        to_skip=sorting.skipped,
        unchanged=sorting.unchanged,
        bad=tuple(bad),
        warnings=tuple(warnings),
        rows=tuple(checked),
    )


def apply_import(
    db: Database, *, actor: Actor, plan: ImportPlan, progress: Progress | None = None
) -> ImportResult:
    """Write the plan's good rows, all or none; the roster is compared again inside the write."""
    actor.require(Role.admin, Role.editor)
    now = utcnow()
    try:
        with db.write() as session:
            sorting = _sort(session, list(plan.rows), plan.on_duplicate)
            total = len(sorting.add) + len(sorting.update)
            done = 0

            def step(count: int) -> None:
                nonlocal done
                done += count
                if progress is not None:
                    progress(done, total)

            interest_ids = dict(session.exec(select(Interest.name, Interest.id)).all())
            _insert(session, sorting.add, plan.file_name, now, interest_ids, step)
            _update(session, sorting.update, now, interest_ids, step)
            result = ImportResult(
                file_name=plan.file_name,
                added=len(sorting.add),
                updated=len(sorting.update),
                skipped=sorting.skipped,
                unchanged=sorting.unchanged,
                bad_rows=plan.bad_rows,
            )
            # Counts and the file's name only: the audit log never holds personal data.
            audit.record(
                session,
                actor=actor,
                action="participants.imported",
                detail={
                    "file": plan.file_name,
                    "rows": plan.rows_total,
                    "added": result.added,
                    "updated": result.updated,
                    "skipped": result.skipped,
                    "unchanged": result.unchanged,
                    "bad_rows": result.bad_rows,
                    "on_duplicate": plan.on_duplicate,
                },
            )
    except IntegrityError:
        raise PanelError(
            "the roster changed while importing (someone added the same address); "
            "nothing was imported: check the file again and retry"
        ) from None
    return result


def _phases(progress: Progress | None) -> tuple[Progress | None, Progress | None]:
    """One bar for reading and checking: reading a workbook is slow, so each gets half."""
    if progress is None:
        return None, None
    report = progress

    def reading(done: int, total: int) -> None:
        report(done, 2 * total)

    def checking(done: int, total: int) -> None:
        report(total + done, 2 * total)

    return reading, checking


def _separators(sheet: Sheet) -> str:
    """Inside a cell, interests are split on what does not separate the cells."""
    if sheet.delimiter == ",":
        return ";|"
    if sheet.delimiter == ";":
        return "|,"
    return ";|,"


@dataclass
class _Update:
    id: int
    values: dict[str, Any]
    interests: tuple[str, ...] | None


@dataclass
class _Sorting:
    add: list[CheckedRow]
    update: list[_Update]
    skipped: int = 0
    unchanged: int = 0


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sort(session: Session, rows: list[CheckedRow], on_duplicate: str) -> _Sorting:
    """New rows to add; rows already on the panel to skip, update, or leave unchanged.

    The roster's keys are read in one query: a panel is small enough, and on PostgreSQL one
    query is much faster than many `IN (...)` lists. Erased participants have no email key,
    so an erased address is never matched.
    """
    sorting = _Sorting(add=[], update=[])
    if on_duplicate == "skip":
        taken = set(
            session.exec(
                select(Participant.email_key).where(col(Participant.email_key).is_not(None))
            ).all()
        )
        for row in rows:
            if row.key in taken:
                sorting.skipped += 1
            else:
                sorting.add.append(row)
        return sorting
    stored = {
        person.email_key: person
        for person in session.exec(
            select(Participant.id, Participant.email_key, *_STORED).where(
                col(Participant.email_key).is_not(None)
            )
        ).all()
    }
    links = _interest_links(session) if any(row.interests is not None for row in rows) else {}
    for row in rows:
        person = stored.get(row.key)
        if person is None:
            sorting.add.append(row)
            continue
        values = {name: getattr(person, name) for name in FIELDS}
        changed = {k: v for k, v in row.values.items() if values.get(k) != v}
        interests = row.interests
        if interests is not None and set(interests) == links.get(person.id, set()):
            interests = None
        if changed or interests is not None:
            sorting.update.append(_Update(person.id, {**values, **changed}, interests))
        else:
            sorting.unchanged += 1
    return sorting


def _interest_links(session: Session) -> dict[int, set[str]]:
    links: dict[int, set[str]] = {}
    for participant_id, name in session.exec(
        select(ParticipantInterest.participant_id, Interest.name).join(
            Interest, col(Interest.id) == ParticipantInterest.interest_id
        )
    ):
        links.setdefault(participant_id, set()).add(name)
    return links


def _insert(
    session: Session,
    rows: list[CheckedRow],
    file_name: str,
    now,
    interest_ids: dict[str, int],
    step: Callable[[int], None],
) -> None:
    base: dict[str, Any] = {
        "gender": None,
        "birth_year": None,
        "district": None,
        "language": "nb",
        "source": f"import: {file_name}",
        "status": ParticipantStatus.active.value,
        "consent_version": "import",
        "consent_at": now,
        "consent_note": f"import: {file_name}",
        "created_at": now,
        "updated_at": now,
        "confirmed_at": now,
    }
    for chunk in _chunks(rows):
        session.execute(
            insert(Participant), [{**base, **row.values, "email_key": row.key} for row in chunk]
        )
        step(len(chunk))
    # Ids are looked up afterwards, not RETURNed: psycopg parses a many-row RETURNING slowly.
    with_interests = [row for row in rows if row.interests]
    if with_interests:
        ids = dict(
            session.exec(
                select(Participant.email_key, Participant.id).where(
                    col(Participant.email_key).is_not(None)
                )
            ).all()
        )
        _link(session, [(ids[row.key], row.interests) for row in with_interests], interest_ids)


def _update(
    session: Session,
    updates: list[_Update],
    now,
    interest_ids: dict[str, int],
    step: Callable[[int], None],
) -> None:
    """Update the fields the file gives; status and consent stay as they are."""
    for chunk in _chunks(updates):
        session.execute(
            update(Participant),
            [{"id": u.id, **u.values, "updated_at": now} for u in chunk],
        )
        relinked = [(u.id, u.interests) for u in chunk if u.interests is not None]
        if relinked:
            session.execute(
                delete(ParticipantInterest).where(
                    col(ParticipantInterest.participant_id).in_([pid for pid, _ in relinked])
                )
            )
            _link(session, relinked, interest_ids)
        step(len(chunk))


def _link(
    session: Session,
    people: list[tuple[int, tuple[str, ...] | None]],
    interest_ids: dict[str, int],
) -> None:
    links = [
        {"participant_id": pid, "interest_id": interest_ids[name]}
        for pid, names in people
        for name in names or ()
        if name in interest_ids  # an interest deleted since the plan is left out
    ]
    if links:
        session.execute(insert(ParticipantInterest), links)
