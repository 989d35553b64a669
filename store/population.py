"""Who the panel is missing: the reference population, and the panel compared with it.

The population comes from a CSV file the municipality provides, loaded with
`panel population import FILE`. The file:

- UTF-8, with or without a BOM; comma- or semicolon-separated (told by the header line);
- lines starting with `#` are comments, blank lines are skipped;
- a header line naming the columns `district,gender,age_band,count` (or in Norwegian
  `bosted,kjønn,aldersgruppe,antall`), in any order;
- then one line per cell: a district's name, `female` or `male` (`kvinne`, `mann`...), an age
  band of `store.reference.AGE_BANDS` (`16–24`, `25–34`, `35–49`, `50–66`, `67+`; `16-24`
  with a hyphen is fine) and the number of residents, a whole number.

An import replaces the whole table in one transaction, or writes nothing when any row is bad,
so the table always holds one consistent set of figures. The comparisons count in SQL
(GROUP BY), so they stay quick on a roster of a hundred thousand.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func
from sqlalchemy import text as sql
from sqlmodel import Session, select

from . import audit
from .actors import Actor
from .db import Database
from .errors import Invalid
from .import_files import BadRow, FileRefused, read_bytes
from .models import Participant, ParticipantStatus, PopulationCell
from .reference import AGE_BANDS, age_band
from .roles import Role
from .timeutil import utcnow
from .validation import parse_gender

BAERUM_POPULATION_CSV = Path(__file__).parent / "data" / "baerum_population.csv"
BAERUM_SOURCE = "SSB table 07459 (2024); district split approximate, made for the demo"
DEFAULT_THRESHOLD = 0.8
BAND_LABELS = tuple(label for label, _low, _high in AGE_BANDS)
POPULATION_GENDERS = ("female", "male")
UNKNOWN = "unknown"

COLUMNS = {
    "district": ("district", "bosted"),
    "gender": ("gender", "kjønn", "kjonn"),
    "age_band": ("age_band", "aldersgruppe"),
    "count": ("count", "antall"),
}


def _header_key(text: str) -> str:
    return " ".join(text.replace("_", " ").casefold().split())


_ALIASES = {_header_key(alias): column for column, names in COLUMNS.items() for alias in names}
_DASHES = re.compile(r"\s*[-‐‑‒–—−]\s*")
_DIGIT_GROUPS = re.compile(r"[\s\u00a0\u202f]")


@dataclass(frozen=True)
class PopulationImportResult:
    """What an import did; when `bad` is not empty, nothing was written."""

    file_name: str
    cells: int
    total: int
    replaced: int  # cells in the table before
    bad: tuple[BadRow, ...] = ()

    @property
    def imported(self) -> bool:
        return not self.bad


@dataclass(frozen=True)
class GroupShare:
    """One group of a dimension: the panel's share of it against the population's."""

    group: str
    panel: int
    panel_share: float
    population: int | None  # None: the population has no figure for the group
    population_share: float | None
    ratio: float | None  # panel share / population share
    under: bool  # ratio below the threshold


@dataclass(frozen=True)
class Dimension:
    name: str  # "age_band", "gender" or "district"
    rows: tuple[GroupShare, ...]
    known: int  # active participants with a value, the base of the panel shares
    unknown: int  # active participants left out: no value (or, for age, under 16)


@dataclass(frozen=True)
class Representation:
    population_loaded: bool
    population_total: int
    population_source: str | None
    active: int
    threshold: float
    age: Dimension
    gender: Dimension
    district: Dimension


@dataclass(frozen=True)
class SourceRow:
    source: str | None  # None: no source recorded
    bands: tuple[int, ...]  # counts in the order of `BAND_LABELS`
    unknown_age: int
    total: int

    @property
    def young_share(self) -> float | None:
        """The share aged 16–24 of those whose age is known."""
        known = self.total - self.unknown_age
        return self.bands[0] / known if known else None


@dataclass(frozen=True)
class SourceTable:
    bands: tuple[str, ...]
    rows: tuple[SourceRow, ...]  # the largest source first
    all: SourceRow


# Reading the file ---------------------------------------------------------------------------


def read_population_file(path: Path) -> tuple[list[PopulationCell], list[BadRow]]:
    """The cells a file gives and the problems of its bad rows; refuses an unreadable file."""
    lines = _text_lines(path)
    header_at = next((i for i, line in enumerate(lines) if not _skipped(line)), None)
    if header_at is None:
        raise FileRefused(f"{path.name} is empty")
    header_line = lines[header_at]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    columns = _columns(path.name, header_at + 1, _split(header_line, delimiter))
    needed = max(columns.values()) + 1
    cells: list[PopulationCell] = []
    bad: list[BadRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, line in enumerate(lines[header_at + 1 :], start=header_at + 2):
        if _skipped(line):
            continue
        values = _split(line, delimiter)
        if len(values) < needed:
            bad.append(BadRow(number, "row", f"has {len(values)} cells; the header has {needed}"))
            continue
        cell, problems = _check_row(number, values, columns)
        if cell is not None:
            key = (cell.district.casefold(), cell.gender, cell.age_band)
            if key in seen:
                problems.append(BadRow(number, "row", f"the same cell as line {seen[key]}"))
            else:
                seen[key] = number
        if problems:
            bad.extend(problems)
        elif cell is not None:
            cells.append(cell)
    if not cells and not bad:
        raise FileRefused(f"{path.name} has a header but no figures")
    return cells, bad


def _text_lines(path: Path) -> list[str]:
    data = read_bytes(path)
    refused = f"{path.name} is not a UTF-8 CSV file (save it from the spreadsheet as CSV UTF-8)"
    if b"\x00" in data:
        raise FileRefused(refused)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(refused) from None
    if not text.strip():
        raise FileRefused(f"{path.name} is empty")
    return text.splitlines()


def _skipped(line: str) -> bool:
    """Blank lines, comments, rows of empty cells and Excel's `sep=;` line."""
    stripped = line.strip()
    return (
        not stripped.strip(",;")
        or stripped.startswith("#")
        or (stripped.lower().startswith("sep=") and len(stripped) == 5)
    )


def _split(line: str, delimiter: str) -> list[str]:
    return [cell.strip() for cell in next(csv.reader(io.StringIO(line), delimiter=delimiter))]


def _columns(name: str, line: int, header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = _ALIASES.get(_header_key(cell))
        if column is not None and column not in columns:
            columns[column] = index
    missing = [column for column in COLUMNS if column not in columns]
    if missing:
        raise FileRefused(
            f"{name}: the header (line {line}) has no {', '.join(missing)} column; expected "
            "district,gender,age_band,count (or bosted,kjønn,aldersgruppe,antall)"
        )
    return columns


def _check_row(
    line: int, values: list[str], columns: dict[str, int]
) -> tuple[PopulationCell | None, list[BadRow]]:
    problems: list[BadRow] = []
    parsed: dict[str, object] = {}
    for field, parse in (
        ("district", _district),
        ("gender", _gender),
        ("age_band", normalise_age_band),
        ("count", _count),
    ):
        try:
            parsed[field] = parse(values[columns[field]])
        except Invalid as exc:
            problems.append(BadRow(line, exc.field, exc.reason))
    if problems:
        return None, problems
    return PopulationCell(**parsed), problems  # type: ignore[arg-type]


def _district(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise Invalid("district", "is missing")
    return name


def _gender(text: str) -> str:
    gender = parse_gender(text)
    if gender is None:
        raise Invalid("gender", "is missing")
    if gender not in POPULATION_GENDERS:
        raise Invalid("gender", f"{text!r}: population figures are for female and male")
    return gender


def normalise_age_band(text: str) -> str:
    """`16-24`, `16 – 24` and `16–24` are one band; anything not in AGE_BANDS is refused."""
    label = _DASHES.sub("–", text.strip()).replace(" ", "")
    if label not in BAND_LABELS:
        raise Invalid("age_band", f"{text!r} is not one of {', '.join(BAND_LABELS)}")
    return label


def _count(text: str) -> int:
    digits = _DIGIT_GROUPS.sub("", text)
    if not digits:
        raise Invalid("count", "is missing")
    if re.fullmatch(r"[-−]\d+", digits):
        raise Invalid("count", f"{text!r} is negative")
    if not digits.isdigit():
        raise Invalid("count", f"{text!r} is not a whole number")
    return int(digits)


# Importing ----------------------------------------------------------------------------------


def import_population(
    db: Database, *, actor: Actor, path: Path, source_note: str | None = None
) -> PopulationImportResult:
    """Replace the population table with the file's figures, or report its bad rows."""
    actor.require(Role.admin)
    cells, bad = read_population_file(path)
    total = sum(cell.count for cell in cells)
    if bad:
        return PopulationImportResult(path.name, 0, 0, 0, tuple(bad))
    note = (source_note or path.name).strip() or path.name
    with db.write() as session:
        if not db.is_sqlite:  # one import at a time; SQLite's write lock does this already
            session.execute(sql("LOCK TABLE population_cell IN SHARE ROW EXCLUSIVE MODE"))
        replaced = session.exec(select(func.count()).select_from(PopulationCell)).one()
        session.execute(delete(PopulationCell))
        for cell in cells:
            cell.source = note
        session.add_all(cells)
        audit.record(
            session,
            actor=actor,
            action="population.imported",
            target_kind="population",
            detail={"cells": len(cells), "total": total, "replaced": replaced, "file": path.name},
        )
    return PopulationImportResult(path.name, len(cells), total, replaced)


# Comparing ----------------------------------------------------------------------------------


def representation(
    db: Database, *, actor: Actor, threshold: float = DEFAULT_THRESHOLD
) -> Representation:
    """Active participants against the population by age band, gender and district.

    Any role may see this: it names nobody. A participant with no value for a dimension (or,
    for age, younger than the youngest band) is left out of that dimension's shares.
    """
    actor.require(Role.admin, Role.editor, Role.analyst)
    year = utcnow().year
    with db.read() as session:
        by_year = _active_counts(session, Participant.birth_year)
        by_gender = _active_counts(session, Participant.gender)
        by_district = _active_counts(session, Participant.district)
        pop_age = _population_counts(session, PopulationCell.age_band)
        pop_gender = _population_counts(session, PopulationCell.gender)
        pop_district = _population_counts(session, PopulationCell.district)
        source = session.exec(select(PopulationCell.source).limit(1)).first()
    by_band: dict[str | None, int] = {}
    for birth_year, count in by_year.items():
        band = age_band(birth_year, year)
        by_band[band] = by_band.get(band, 0) + count
    population_total = sum(pop_age.values())
    active = sum(by_gender.values())
    dims = (
        ("age_band", by_band, pop_age, BAND_LABELS),
        ("gender", by_gender, pop_gender, ("female", "male", "other")),
        ("district", by_district, pop_district, ()),
    )
    age, gender, district = (
        _dimension(name, panel, population, population_total, order, threshold)
        for name, panel, population, order in dims
    )
    return Representation(
        population_loaded=population_total > 0,
        population_total=population_total,
        population_source=source,
        active=active,
        threshold=threshold,
        age=age,
        gender=gender,
        district=district,
    )


def _active_counts(session: Session, column) -> dict:
    rows = session.exec(
        select(column, func.count())
        .where(Participant.status == ParticipantStatus.active)
        .group_by(column)
    ).all()
    return dict(rows)


def _population_counts(session: Session, column) -> dict[str, int]:
    rows = session.exec(select(column, func.sum(PopulationCell.count)).group_by(column)).all()
    return {group: int(total or 0) for group, total in rows}


def _dimension(
    name: str,
    panel: dict[str | None, int],
    population: dict[str, int],
    population_total: int,
    order: tuple[str, ...],
    threshold: float,
) -> Dimension:
    unknown = panel.get(None, 0)
    known = sum(panel.values()) - unknown
    named = {group for group in panel if group is not None} | set(population)
    groups = [*order, *sorted(named - set(order), key=_sort_key)]
    rows = []
    for group in groups:
        count = panel.get(group, 0)
        share = count / known if known else 0.0
        pop = population.get(group)
        pop_share = pop / population_total if pop is not None and population_total else None
        ratio = share / pop_share if pop_share else None
        rows.append(
            GroupShare(
                group=group,
                panel=count,
                panel_share=share,
                population=pop,
                population_share=pop_share,
                ratio=ratio,
                under=ratio is not None and ratio < threshold,
            )
        )
    return Dimension(name, tuple(rows), known, unknown)


def _sort_key(name: str) -> str:
    """Norwegian alphabetical order: æ, ø, å after z."""
    return name.casefold().translate(str.maketrans("æøå", "{|}"))


# Recruitment --------------------------------------------------------------------------------


def signups_by_source(db: Database, *, actor: Actor) -> SourceTable:
    """Sign-ups per recruitment source by age band, so staff see which channels reach whom.

    Everyone ever recruited counts, whatever their status now, except the erased.
    """
    actor.require(Role.admin, Role.editor, Role.analyst)
    year = utcnow().year
    with db.read() as session:
        rows = session.exec(
            select(Participant.source, Participant.birth_year, func.count())
            .where(Participant.status != ParticipantStatus.erased)
            .group_by(Participant.source, Participant.birth_year)
        ).all()
    counts: dict[str | None, list[int]] = {}
    for source, birth_year, count in rows:
        cells = counts.setdefault(source, [0] * (len(BAND_LABELS) + 1))
        band = age_band(birth_year, year)
        cells[BAND_LABELS.index(band) if band else -1] += count
    table = [_source_row(source, cells) for source, cells in counts.items()]
    table.sort(key=lambda row: (-row.total, row.source is None, _sort_key(row.source or "")))
    everyone = [sum(cells[i] for cells in counts.values()) for i in range(len(BAND_LABELS) + 1)]
    return SourceTable(BAND_LABELS, tuple(table), _source_row(None, everyone))


def _source_row(source: str | None, cells: list[int]) -> SourceRow:
    return SourceRow(source, tuple(cells[:-1]), cells[-1], sum(cells))
