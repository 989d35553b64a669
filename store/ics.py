"""Calendar entries (iCalendar, RFC 5545) for workshop sessions, attached to emails and offered
on the residents' pages.

Times are written in UTC (`…Z`), which every calendar shows in its owner's own time zone. Each
session has one UID for good, so a second file for the same session (after a change of time,
or the reminder) updates the entry instead of adding another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .timeutil import utcnow

PRODID = "-//Innbyggerpanelet//panel//NB"
LINE_OCTETS = 75  # RFC 5545 §3.1: lines longer than this are folded


@dataclass(frozen=True)
class CalendarEntry:
    uid: str  # unique for good, e.g. "session-12@baerum.kommune.no"
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str = ""
    description: str = ""
    url: str = ""
    sequence: int = 0  # raised with every change, so calendars take a later file as an update
    cancelled: bool = False


def calendar(entries: Sequence[CalendarEntry], *, stamp: datetime | None = None) -> str:
    """A VCALENDAR with one VEVENT per entry, CRLF line ends, lines folded."""
    stamp = stamp or utcnow()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH"]  # fmt: skip
    for entry in entries:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_text(entry.uid)}",
            f"DTSTAMP:{_utc(stamp)}",
            f"SEQUENCE:{entry.sequence}",
            f"DTSTART:{_utc(entry.starts_at)}",
            f"DTEND:{_utc(entry.ends_at)}",
            f"SUMMARY:{_text(entry.title)}",
        ]
        if entry.location:
            lines.append(f"LOCATION:{_text(entry.location)}")
        if entry.description:
            lines.append(f"DESCRIPTION:{_text(entry.description)}")
        if entry.url:
            lines.append(f"URL:{entry.url}")
        lines.append(f"STATUS:{'CANCELLED' if entry.cancelled else 'CONFIRMED'}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character."""
    raw = line.encode("utf-8")
    if len(raw) <= LINE_OCTETS:
        return line
    parts, start, limit = [], 0, LINE_OCTETS
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:  # a continuation byte: step back
            end -= 1
        parts.append(raw[start:end].decode("utf-8"))
        start, limit = end, LINE_OCTETS - 1  # the leading space of a continuation counts
    return "\r\n ".join(parts)
