"""The engine and sessions: SQLite tuned for one busy server, or PostgreSQL, chosen by the URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 64 * 1024


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
            # Up to 64 MiB of pages per connection, taken only as they are read (SQLite's
            # default is 2 MiB): a send to a hundred thousand people writes into eight indexes
            # at once, and with the default cache their pages are written out and read back
            # over and over. Measured by tests/bench/sending.py: the insert a third faster.
            f"cache_size = -{SQLITE_CACHE_KIB}",
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
    This writes the statement once, looks each column's converter up once, and hands the
    driver plain tuples, made at C speed where no value needs converting.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    shared = dict(same or {})
    # Columns left out that have a default in Python are bound too: one value for every row.
    for column in table.columns:
        if column.name not in shared and column.name not in rows[0] and column.default is not None:
            shared[column.name] = _default(table, column.name)

    def converter(name: str):
        return table.c[name].type._cached_bind_processor(dialect)

    fixed = tuple(convert(v) if (convert := converter(n)) else v for n, v in shared.items())
    get = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    converting = [(i, convert) for i, n in enumerate(names) if (convert := converter(n))]
    if not converting:  # plain text and numbers: the tuples are made at C speed
        params = [get(row) + fixed for row in rows]
    else:
        params = []
        for row in rows:
            values = list(get(row))
            for i, convert in converting:
                values[i] = convert(values[i])
            params.append((*values, *fixed))
    quote = dialect.identifier_preparer.quote
    columns = [*names, *shared]
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}[dialect.paramstyle]  # sqlite, psycopg
    statement = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(n) for n in columns)}) VALUES ({', '.join([mark] * len(columns))})"
    )
    connection.exec_driver_sql(statement, params)


def _default(table: Table, name: str) -> Any:
    default = table.c[name].default
    if default is None:
        return None
    if getattr(default, "is_callable", False):
        return default.arg(None)  # type: ignore[union-attr]
    return getattr(default, "arg", None)
