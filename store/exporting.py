"""Exporting the filtered roster to CSV or XLSX, in the same columns `panel import` reads.

Exports hold personal data: admins only, each one in the audit log, files readable by the
owner only.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlmodel import Session, col, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid, PanelError
from .models import Interest, Participant, ParticipantInterest
from .roles import Role
from .roster import RosterFilter, filtered_ids

HEADERS = ("navn", "epost", "kjønn", "fødselsår", "bosted", "interesser", "kilde", "språk",
           "status")  # fmt: skip
GENDER_WORDS = {"female": "kvinne", "male": "mann", "other": "annet"}
CHUNK = 2000


def export_participants(
    db: Database,
    *,
    actor: Actor,
    filter: RosterFilter,
    path: Path,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write everyone the filter matches to `path` (.csv or .xlsx); returns how many."""
    actor.require(Role.admin)
    kind = path.suffix.lower()
    if kind not in (".csv", ".xlsx"):
        raise Invalid("file", "the name must end in .csv or .xlsx")
    if path.exists():
        raise PanelError(f"{path} exists; choose a new file name")
    with db.read() as session:
        ids = list(session.exec(filtered_ids(session, filter)))
        rows = _rows(session, ids, progress)
        partial = path.with_name(path.name + ".partial")
        try:
            _open_private(partial)
            (_write_csv if kind == ".csv" else _write_xlsx)(partial, rows)
            partial.rename(path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise PanelError(f"cannot write {path}: {exc.strerror or exc}") from None
    with db.write() as session:
        audit.record(
            session,
            actor=actor,
            action="participants.exported",
            detail={"count": len(ids), "format": kind[1:], "file": path.name},
        )
    return len(ids)


def _open_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def _rows(
    session: Session, ids: list[int], progress: Callable[[int, int], None] | None
) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        people = session.exec(
            select(Participant).where(col(Participant.id).in_(chunk)).order_by(Participant.id)
        ).all()
        interests: dict[int, list[str]] = {}
        for participant_id, name in session.exec(
            select(ParticipantInterest.participant_id, Interest.name)
            .join(Interest, col(Interest.id) == ParticipantInterest.interest_id)
            .where(col(ParticipantInterest.participant_id).in_(chunk))
            .order_by(Interest.name)
        ):
            interests.setdefault(participant_id, []).append(name)
        for p in people:
            yield [
                p.name or "",
                p.email or "",
                GENDER_WORDS.get(p.gender or "", ""),
                str(p.birth_year or ""),
                p.district or "",
                "|".join(interests.get(p.id or 0, [])),
                p.source or "",
                p.language,
                p.status,
            ]
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))


def _write_csv(path: Path, rows: Iterator[list[str]]) -> None:
    # Excel in Norway opens semicolon-separated UTF-8 with a BOM and CRLF line ends as is.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        writer.writerows(rows)


def _write_xlsx(path: Path, rows: Iterator[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Deltakere")
    sheet.append(list(HEADERS))
    year = HEADERS.index("fødselsår")
    for row in rows:
        cells: list[object] = list(row)
        cells[year] = int(row[year]) if row[year] else None  # a number, so Excel can sort it
        sheet.append(cells)
    book.save(path)
