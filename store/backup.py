"""Consistent copies of a live database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .db import Database
from .errors import PanelError


def backup(db: Database, target: Path) -> int:
    """Copy a SQLite database page by page while others keep writing; returns the size in bytes.

    SQLite's online backup API restarts a step if a writer changes the source underneath, so
    the copy is always of one committed state. PostgreSQL has its own tool for this.
    """
    source_path = db.sqlite_path
    if source_path is None:
        raise PanelError(
            "this database is PostgreSQL: use pg_dump, for example "
            "`pg_dump --format=custom --file=panel.dump DBNAME`"
        )
    if target.exists():
        raise PanelError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        partial.touch(mode=0o600)  # it holds personal data: owner only, whatever the umask
        source = sqlite3.connect(source_path, timeout=30)
        try:
            destination = sqlite3.connect(partial)
            try:
                source.backup(destination, pages=1024)
            finally:
                destination.close()
        finally:
            source.close()
        partial.rename(target)
    except BaseException:  # a full disk, say: no half-written copy is left to be mistaken
        partial.unlink(missing_ok=True)
        raise
    return target.stat().st_size
