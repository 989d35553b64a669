"""Faults that are not a store's refusal, told to staff in one plain sentence.

A busy, read-only or full database, a full disk, a database server that cannot be reached: each
has a sentence saying what happened and that nothing was written, in the app's language. Any
other fault is shown as the first line of its message (`describe`); `explain` says None for it,
so that `panel` can still show a traceback for what is a bug.
"""

from __future__ import annotations

import errno

from .i18n import _

# SQLite's primary result codes (the low byte of the extended code Python reports).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL = 5, 6, 8, 10, 13
# PostgreSQL's SQLSTATE classes and codes.
_PG_BUSY = {"55P03", "40P01", "40001"}  # lock not available, deadlock, serialization failure
_PG_READ_ONLY = {"25006"}  # read-only SQL transaction (a standby, or default_transaction_read_only)
_PG_FULL = {"53100"}  # disk full
_PG_UNREACHABLE = {"57P01", "57P02", "57P03"}  # the server shutting down or starting up


def busy() -> str:
    return _(
        "The database is busy: another program is writing to it. Nothing was written; "
        "try again in a moment."
    )


def read_only() -> str:
    return _(
        "The database is read-only: its file or the disk it is on cannot be written to. "
        "Nothing was written."
    )


def disk_full() -> str:
    return _(
        "The disk is full (or the file has reached its size limit). Nothing was written; "
        "free some space and try again."
    )


def disk_failed() -> str:
    return _(
        "The database could not be written to the disk: it may be full or failing. "
        "Nothing was written."
    )


def disk_read_only() -> str:
    return _("The disk is read-only. Nothing was written.")


def unreachable() -> str:
    return _(
        "The database server cannot be reached. Nothing was written; check that it is "
        "running and try again."
    )


def explain(exc: BaseException) -> str | None:
    """One sentence for a known fault (looking through SQLAlchemy's wrapping and the chain of
    causes), or None."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        sentence = _known(current)
        if sentence is not None:
            return sentence
        todo.extend([getattr(current, "orig", None), current.__cause__, current.__context__])
    return None


def describe(exc: BaseException) -> str:
    """`explain`'s sentence, or else the first line of the fault's message."""
    sentence = explain(exc)
    if sentence is not None:
        return sentence
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _known(exc: BaseException) -> str | None:
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return _sqlite(exc)
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError | TimeoutError):
        return _os(exc)
    if type(exc).__module__.startswith("psycopg"):
        return _postgres(exc)
    return None


def _sqlite(exc: BaseException) -> str | None:
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in text:
        return busy()
    if primary == _SQLITE_READONLY or "readonly database" in text:
        return read_only()
    if primary == _SQLITE_FULL or "database or disk is full" in text:
        return disk_full()
    if primary == _SQLITE_IOERR or "disk i/o error" in text:
        return disk_failed()
    return None


def _os(exc: OSError) -> str | None:
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return disk_full()
    if exc.errno == errno.EROFS:
        return disk_read_only()
    return None


def _postgres(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None) or ""
    if state in _PG_BUSY:
        return busy()
    if state in _PG_READ_ONLY:
        return read_only()
    if state in _PG_FULL:
        return disk_full()
    if state in _PG_UNREACHABLE or state.startswith("08"):
        return unreachable()
    if not state and type(exc).__name__ == "OperationalError":
        # No SQLSTATE: the client's own failure, which is to connect or to stay connected.
        return unreachable()
    return None
