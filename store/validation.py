"""Checking one participant's fields, as typed by staff or read from a file.

Each parser takes what a person might write (Norwegian or English, an age for a birth year)
and returns the stored form, or raises `Invalid` naming the field and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email

from .errors import Invalid

OLDEST_AGE = 110
YOUNGEST_AGE = 13  # the panel is for residents from their teens up

_GENDERS = {
    "female": "female", "f": "female", "k": "female", "kvinne": "female", "kvinnelig": "female",
    "woman": "female", "jente": "female",
    "male": "male", "m": "male", "mann": "male", "mannlig": "male", "man": "male",
    "gutt": "male",
    "other": "other", "annet": "other", "annen": "other", "ikke-binær": "other",
    "non-binary": "other", "a": "other",
}  # fmt: skip
_UNSPECIFIED = {"", "-", "–", "ukjent", "unknown", "vil ikke oppgi", "prefer not to say"}


def normalise_email(text: str) -> tuple[str, str]:
    """The address as given (trimmed, domain lower-cased) and its case-folded unique key."""
    candidate = text.strip()
    if not candidate:
        raise Invalid("email", "is missing")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid("email", f"{candidate!r} is not a valid address: {exc}") from None
    return result.normalized, result.normalized.casefold()


def parse_gender(text: str | None) -> str | None:
    value = (text or "").strip().lower()
    if value in _UNSPECIFIED:
        return None
    try:
        return _GENDERS[value]
    except KeyError:
        raise Invalid("gender", f"{text!r} is not one of female, male, other") from None


def parse_birth_year(text: str | int | None, *, this_year: int) -> int | None:
    """A birth year, or an age (a number under 120) turned into one; blank means not given."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    raw = str(text).strip()
    if not re.fullmatch(r"\d{1,4}(\.0)?", raw):
        raise Invalid("birth_year", f"{raw!r} is not a year or an age")
    number = int(float(raw))
    year = this_year - number if number < 120 else number
    age = this_year - year
    if not YOUNGEST_AGE <= age <= OLDEST_AGE:
        raise Invalid(
            "birth_year",
            f"{raw} gives an age of {age}; expected {YOUNGEST_AGE} to {OLDEST_AGE}",
        )
    return year


def match_name(field: str, text: str | None, known: Iterable[str]) -> str | None:
    """`text` matched case-insensitively against the known names; blank means not given."""
    value = (text or "").strip()
    if not value:
        return None
    names = {name.casefold(): name for name in known}
    try:
        return names[value.casefold()]
    except KeyError:
        raise Invalid(field, f"{value!r} is not a known {field}") from None


def split_interests(text: str | None, separators: str) -> list[str]:
    """Interests from one cell, split on any of `separators`, blanks dropped."""
    if not text:
        return []
    parts = re.split("|".join(re.escape(s) for s in separators), text)
    return [part.strip() for part in parts if part.strip()]


def parse_language(text: str | None) -> str:
    value = (text or "").strip().lower()
    if value in ("", "nb", "no", "nob", "norsk", "bokmål", "norwegian"):
        return "nb"
    if value in ("en", "eng", "engelsk", "english"):
        return "en"
    raise Invalid("language", f"{text!r} is not nb or en")
