"""The engine and sessions: SQLite tuned for one busy server, or PostgreSQL, chosen by the URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, bindparam, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Database:
    """One database, opened once at the entry point and handed to every store function.

    `read()` gives a session for queries; `write()` gives one that commits on success. On SQLite
    a write session starts with `BEGIN IMMEDIATE`, so two writers queue on the busy timeout
    instead of failing halfway with "database is locked".
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        if self.is_sqlite:
            path = self.url.database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(self.url, echo=echo)
            _tune_sqlite(self.engine)
        else:
            self.engine = create_engine(self.url, echo=echo, pool_pre_ping=True)
        self._write_engine = self.engine.execution_options(panel_write=True)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        return Path(self.url.database) if self.is_sqlite and self.url.database else None

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with Session(self._write_engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control from pysqlite so that `begin` below decides the mode.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode = WAL",
            "foreign_keys = ON",
            f"busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}",
            "secure_delete = ON",
            "synchronous = NORMAL",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if connection.get_execution_options().get("panel_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def bulk_insert(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    same: dict[str, Any] | None = None,
) -> None:
    """Insert `rows` (dicts with the same keys) in one executemany, inside the session's
    transaction, converting each value as its column's type does. `same` holds values every
    row shares (converted once).

    The ORM's and even Core's executemany build a parameter set per row through several
    layers; for a send to a hundred thousand people that costs more than the insert itself.
    This compiles the statement once, looks each column's converter up once, and hands the
    driver plain tuples (SQLite) or dicts (PostgreSQL).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    shared = dict(same or {})
    binds = {n: bindparam(n) for n in [*names, *shared]}
    compiled = table.insert().values(binds).compile(dialect=dialect)
    # Columns left out that have a default in Python are bound too: one value for every row.
    shared.update({n: _default(table, n) for n in compiled.binds if n not in binds})

    def converter(name: str):
        return table.c[name].type._cached_bind_processor(dialect)

    fixed = {n: converter(n)(v) if converter(n) else v for n, v in shared.items()}
    per_row = [(n, converter(n)) for n in names]
    if compiled.positional:
        order = list(compiled.positiontup or [])
        slots = {n: i for i, n in enumerate(order)}
        template = [fixed.get(n) for n in order]
        params: list[Any] = []
        for row in rows:
            values = template.copy()
            for n, convert in per_row:
                values[slots[n]] = convert(row[n]) if convert else row[n]
            params.append(tuple(values))
    else:
        params = [
            {**fixed, **{n: convert(row[n]) if convert else row[n] for n, convert in per_row}}
            for row in rows
        ]
    connection.exec_driver_sql(str(compiled), params)


def _default(table: Table, name: str) -> Any:
    default = table.c[name].default
    if default is None:
        return None
    if getattr(default, "is_callable", False):
        return default.arg(None)  # type: ignore[union-attr]
    return getattr(default, "arg", None)
