"""Reading a participant file, CSV or XLSX, and checking its rows; no database here.

Files come from Excel, LibreOffice and other registers: semicolons, commas or tabs, a UTF-8
BOM or none, CRLF, Windows-1252. The kind of file is told by its bytes, not its name. What
cannot be read is refused whole, with one line saying why; a row that breaks a rule becomes a
`BadRow` naming its line, the field and what is wrong.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from .errors import Invalid, PanelError
from .timeutil import utcnow
from .validation import (
    match_name,
    normalise_email,
    parse_birth_year,
    parse_gender,
    parse_language,
    split_interests,
)

Progress = Callable[[int, int], None]

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # old .xls, and password-protected .xlsx
DELIMITERS = (";", ",", "\t")
PROGRESS_STEP = 1000
CONTROL_CHARS = re.compile(r"[\x01-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class FileRefused(PanelError):
    """The file cannot be imported at all: missing, unreadable, not a table, or no header."""


@dataclass(frozen=True)
class Sheet:
    """A file's header and its non-blank rows, each with its line (or spreadsheet row) number."""

    kind: str  # "csv" or "xlsx"
    encoding: str | None  # how a CSV file's bytes were decoded, e.g. "UTF-8 with BOM"
    delimiter: str | None  # ";", "," or "\t" for CSV
    header_line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]


def read_bytes(path: Path, size: int = -1) -> bytes:
    """The file's first `size` bytes (all by default), or `FileRefused` saying why not."""
    try:
        with path.open("rb") as file:
            return file.read(size)
    except FileNotFoundError:
        raise FileRefused(f"{path} does not exist") from None
    except IsADirectoryError:
        raise FileRefused(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise FileRefused(f"cannot read {path}: {exc.strerror or exc}") from None


def read_sheet(path: Path, *, progress: Progress | None = None) -> Sheet:
    name = path.name
    start = read_bytes(path, 8)
    if start.startswith(ZIP_MAGIC):
        return _read_xlsx(path, progress)
    if start.startswith(OLE2_MAGIC):
        raise FileRefused(
            f"{name} is not a CSV or XLSX file (it looks like an old .xls or a "
            "password-protected workbook: save it as .xlsx or CSV)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRefused(f"cannot read {path}: {exc.strerror or exc}") from None
    return _read_csv(name, data)


def _decode(name: str, data: bytes) -> tuple[str, str]:
    """The text and a name for the encoding it was read as."""
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError:
            raise FileRefused(f"{name} starts like UTF-8 but is not valid UTF-8") from None
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise FileRefused(f"{name} starts like UTF-16 but is not valid UTF-16") from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252 (Latin-1)"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "ISO-8859-1 (Latin-1)"


def _looks_binary(text: str) -> bool:
    """NUL anywhere, or more control characters than a stray one or two: not a text table."""
    if "\x00" in text:
        return True
    return len(CONTROL_CHARS.findall(text)) > len(text) // 100 + 1


def _read_csv(name: str, data: bytes) -> Sheet:
    text, encoding = _decode(name, data)
    # NFC: a Mac may write å as a + ring, which would not match the known names.
    text = unicodedata.normalize("NFC", text.rstrip("\x1a"))  # \x1a: a DOS end-of-file mark
    if not text.strip():
        raise FileRefused(f"{name} is empty")
    if _looks_binary(text):
        raise FileRefused(f"{name} is not a CSV or XLSX file")
    delimiter, excel_hint = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    while True:
        line = reader.line_num + 1  # where the next record starts; it may span lines
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise FileRefused(
                f"{name}: cannot read line {line}: {exc} (a quote left open?)"
            ) from None
        if any(cell.strip() for cell in cells):
            rows.append((line, cells))
    if excel_hint:
        del rows[0]
    if not rows:
        raise FileRefused(f"{name} is empty")
    header_line, header = rows[0]
    return Sheet("csv", encoding, delimiter, header_line, header, rows[1:])


def _delimiter(text: str) -> tuple[str, bool]:
    """The delimiter the header line uses most, or the one Excel's `sep=` line names (True)."""
    first = next(line for line in io.StringIO(text, newline="") if line.strip()).strip("\r\n")
    if first.lower().startswith("sep=") and len(first) == 5:
        return first[4], True
    counts = {d: first.count(d) for d in DELIMITERS}
    return (max(DELIMITERS, key=counts.__getitem__) if any(counts.values()) else ","), False


def _read_xlsx(path: Path, progress: Progress | None) -> Sheet:
    from openpyxl import load_workbook

    name = path.name
    # A file object, not the path: openpyxl would refuse a workbook by its name's ending.
    with path.open("rb") as file:
        try:
            book = load_workbook(file, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a zip that is not a workbook
            raise FileRefused(f"{name} is not a CSV or XLSX file") from None
        return _workbook_rows(name, book, progress)


def _workbook_rows(name: str, book, progress: Progress | None) -> Sheet:
    try:
        if not book.worksheets:
            raise FileRefused(f"{name} has no worksheet")
        sheet = book.worksheets[0]
        estimate = sheet.max_row or 0
        sheet.reset_dimensions()  # some writers leave wrong dimensions; read every row there is
        header: list[str] | None = None
        header_line = 0
        rows: list[tuple[int, list[str]]] = []
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if progress is not None and number % PROGRESS_STEP == 0:
                    progress(min(number, estimate), max(estimate, number))
                cells = [_cell_text(value) for value in values]
                if not any(cells):
                    continue
                if header is None:
                    header, header_line = cells, number
                else:
                    rows.append((number, cells))
        except FileRefused:
            raise
        except Exception as exc:
            raise FileRefused(f"{name}: the workbook cannot be read ({exc})") from None
    finally:
        book.close()
    if header is None:
        raise FileRefused(f"{name} is empty")
    return Sheet("xlsx", None, None, header_line, header, rows)


def _cell_text(value: object) -> str:
    """A spreadsheet value as the text a person would have typed: 1985.0 is 1985."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value).strip())


# Each field and the headers that name it, compared trimmed, case-folded, with _ and - as spaces.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "navn", "full name", "fullt navn"),
    "email": ("email", "e-mail", "epost", "e-post", "e-postadresse", "email address"),
    "gender": ("gender", "kjønn", "kjonn"),
    "birth_year": ("birth_year", "year of birth", "birthyear", "fødselsår", "fodselsar"),
    "age": ("age", "alder"),
    "district": ("district", "bosted"),
    "interests": ("interests", "interesser"),
    "source": ("source", "kilde"),
    "language": ("language", "språk", "sprak"),
}
EXPECTED_HEADERS = (
    "name/navn, email/epost, gender/kjønn, birth_year/fødselsår (or age/alder), "
    "district/bosted, interests/interesser, source/kilde, language/språk"
)
# The stored fields a file can set; `email_key` goes with `email`.
FIELDS = ("name", "email", "gender", "birth_year", "district", "language", "source")


def _header_key(text: str) -> str:
    return " ".join(
        text.replace("\ufeff", "").replace("_", " ").replace("-", " ").casefold().split()
    )


_ALIASES = {_header_key(alias): column for column, names in COLUMNS.items() for alias in names}


@dataclass(frozen=True)
class BadRow:
    line: int
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """A good row: the fields it gives (blank cells left out) in stored form, and its interests."""

    line: int
    key: str  # the case-folded email
    values: dict[str, object]
    interests: tuple[str, ...] | None  # None when the file gives none


def map_columns(sheet: Sheet) -> tuple[dict[str, int], list[str]]:
    """Which cell holds which field, and warnings about columns that are ignored."""
    columns: dict[str, int] = {}
    unknown: list[str] = []
    warnings: list[str] = []
    for index, text in enumerate(sheet.header):
        key = _header_key(text)
        if not key:
            continue
        column = _ALIASES.get(key)
        if column is None:
            if key == "status":
                warnings.append(
                    "the status column is ignored: new participants are active, "
                    "and those already on the panel keep their status"
                )
            else:
                unknown.append(text.strip())
        elif column in columns:
            warnings.append(f"the column {text.strip()!r} appears twice; the first one is used")
        else:
            columns[column] = index
    if unknown:
        warnings.insert(0, "unknown columns ignored: " + ", ".join(unknown))
    for required in ("email", "name"):
        if required not in columns:
            raise FileRefused(
                f"{'no email' if required == 'email' else 'no name'} column in the header "
                f"(line {sheet.header_line}); expected the columns {EXPECTED_HEADERS}"
            )
    return columns, warnings


def check_rows(
    sheet: Sheet,
    columns: dict[str, int],
    *,
    districts: list[str],
    interests: list[str],
    separators: str,
    progress: Progress | None = None,
) -> tuple[list[CheckedRow], list[BadRow]]:
    """Good rows, and every problem of the bad ones; a repeated address is a problem too."""
    checker = _RowChecker(sheet, columns, districts, interests, separators)
    good: list[CheckedRow] = []
    bad: list[BadRow] = []
    first_line: dict[str, int] = {}
    total = len(sheet.rows)
    for done, (line, cells) in enumerate(sheet.rows, start=1):
        if progress is not None and done % PROGRESS_STEP == 0:
            progress(done, total)
        row, problems = checker.check(line, cells)
        if row is not None:
            if row.key in first_line:
                problems.append(
                    BadRow(line, "email", f"the same address as line {first_line[row.key]}")
                )
            else:
                first_line[row.key] = line
        if problems:
            bad.extend(problems)
        elif row is not None:
            good.append(row)
    if progress is not None:
        progress(total, total)
    return good, bad


class _RowChecker:
    """Checks one row's cells with the rules in `store.validation`."""

    def __init__(
        self,
        sheet: Sheet,
        columns: dict[str, int],
        districts: list[str],
        interests: list[str],
        separators: str,
    ) -> None:
        self.kind = sheet.kind
        self.width = max(i for i, text in enumerate(sheet.header) if text.strip()) + 1
        self.columns = columns
        self.districts = districts
        self.interests = {name.casefold(): name for name in interests}
        self.separators = separators
        self.this_year = utcnow().year

    def check(self, line: int, cells: list[str]) -> tuple[CheckedRow | None, list[BadRow]]:
        """The row (None when its cells or address cannot be read) and its problems."""
        problem = _width_problem(self.kind, cells, self.width)
        if problem:
            return None, [BadRow(line, "row", problem)]
        row = _Cells(cells, self.columns)
        problems: list[BadRow] = []
        values: dict[str, object] = {"name": " ".join(row.get("name").split())}
        if not values["name"]:
            problems.append(BadRow(line, "name", "is missing"))
        key = ""
        try:
            values["email"], key = normalise_email(row.get("email"))
        except Invalid as exc:
            problems.append(BadRow(line, "email", exc.reason))
        for field in ("gender", "birth_year", "district", "language", "source"):
            try:
                value = self._parse(field, row)
            except Invalid as exc:
                problems.append(BadRow(line, exc.field, exc.reason))
                continue
            if value is not None:
                values[field] = value
        chosen, unknown = _interests(row.get("interests"), self.interests, self.separators)
        if unknown:
            listed = ", ".join(repr(name) for name in unknown)
            problems.append(BadRow(line, "interests", f"{listed}: not a known interest"))
        return (CheckedRow(line, key, values, chosen) if key else None), problems

    def _parse(self, field: str, row: _Cells) -> object:
        text = row.get(field)
        if field == "gender":
            return parse_gender(text)
        if field == "birth_year":
            return _birth_year(text, row.get("age"), self.this_year)
        if field == "district":
            return match_name("district", text, self.districts)
        if field == "language":
            return parse_language(text) if text else None
        return text or None


class _Cells:
    def __init__(self, cells: list[str], columns: dict[str, int]) -> None:
        self.cells = cells
        self.columns = columns

    def get(self, field: str) -> str:
        index = self.columns.get(field)
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()


def _width_problem(kind: str, cells: list[str], width: int) -> str:
    filled = max((i for i, text in enumerate(cells) if text.strip()), default=-1) + 1
    if filled > width:
        return f"has {filled} cells; the header has {width}"
    if kind == "csv" and len(cells) < width:
        return f"has {len(cells)} cells; the header has {width}"
    return ""


def _birth_year(year: str, age: str, this_year: int) -> int | None:
    """From the birth year, or else from the age."""
    if year:
        return parse_birth_year(year, this_year=this_year)
    if not age:
        return None
    if age.removesuffix(".0").isdigit() and int(float(age)) >= 120:
        raise Invalid("age", f"{age!r} is not an age")
    try:
        return parse_birth_year(age, this_year=this_year)
    except Invalid as exc:
        raise Invalid("age", exc.reason) from None


def _interests(
    text: str, known: dict[str, str], separators: str
) -> tuple[tuple[str, ...] | None, list[str]]:
    """The known interests a cell names, and the names that are not known."""
    if not text:
        return None, []
    whole = known.get(" ".join(text.split()).casefold())
    if whole is not None:
        return (whole,), []
    chosen: list[str] = []
    unknown: list[str] = []
    for part in split_interests(text, separators):
        try:
            chosen.append(match_name("interest", part, known.values()) or "")
        except Invalid:
            unknown.append(part)
    return tuple(sorted(set(chosen))), unknown
