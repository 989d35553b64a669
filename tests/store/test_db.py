"""The engine, migrations and backups, on both SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel, select

import store.models  # noqa: F401
from store.backup import backup
from store.db import Database
from store.errors import PanelError
from store.migrate import head_revision, upgrade
from store.models import Participant
from store.schema import SCHEMA_HEAD, SchemaState, schema_state


def test_migrations_build_exactly_the_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_schema_head_constant_matches_alembic():
    assert head_revision() == SCHEMA_HEAD


def test_schema_state(db, tmp_path):
    assert schema_state(db) is SchemaState.current
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    assert schema_state(empty) is SchemaState.empty
    upgrade(empty)
    assert schema_state(empty) is SchemaState.current
    empty.dispose()


def test_every_table_is_there(db):
    from sqlalchemy import inspect

    with db.engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
    expected = {
        "participant",
        "interest",
        "participant_interest",
        "survey",
        "question",
        "option",
        "invitation",
        "response",
        "answer",
        "message",
        "event",
        "event_invite",
        "staff",
        "recovery_code",
        "audit_event",
        "population_cell",
    }
    assert expected <= names


def test_email_key_is_unique(db):
    from sqlalchemy.exc import IntegrityError

    with db.write() as session:
        session.add(Participant(name="Ola", email="Ola@x.no", email_key="ola@x.no"))
    with pytest.raises(IntegrityError), db.write() as session:
        session.add(Participant(name="Ola 2", email="ola@x.no", email_key="ola@x.no"))


def test_times_come_back_in_utc(db):
    from datetime import UTC

    with db.write() as session:
        session.add(Participant(name="Kari", email_key="kari@x.no"))
    with db.read() as session:
        stored = session.exec(select(Participant)).one()
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset().total_seconds() == 0
    assert stored.created_at.tzinfo == UTC or stored.created_at.utcoffset() is not None


def test_sqlite_pragmas(sqlite_db):
    with sqlite_db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") >= 5000
        assert pragma("secure_delete") == 1


def test_sqlite_write_sessions_take_the_write_lock_at_begin(sqlite_db):
    """Two writers queue on BEGIN IMMEDIATE instead of failing midway with 'database is locked'."""
    order: list[str] = []
    first_has_lock = threading.Event()

    def first() -> None:
        with sqlite_db.write() as session:
            session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE has run
            first_has_lock.set()
            time.sleep(0.3)
            session.add(Participant(name="A", email_key="a@x.no"))
            order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    first_has_lock.wait(5)
    # A plain connection cannot take the write lock while the first session holds it.
    raw = sqlite3.connect(sqlite_db.sqlite_path, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        raw.execute("BEGIN IMMEDIATE")
    raw.close()
    with sqlite_db.write() as session:
        session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE waits here until the first commits
        session.add(Participant(name="B", email_key="b@x.no"))
        order.append("second")
    thread.join()
    assert order == ["first", "second"]
    with sqlite_db.read() as session:
        assert len(session.exec(select(Participant)).all()) == 2


def test_backup_is_consistent_while_another_thread_writes(sqlite_db, tmp_path):
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set() and n < 2000:
            with sqlite_db.write() as session:
                session.add(Participant(name=f"P{n}", email_key=f"p{n}@x.no"))
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.2)
    target = tmp_path / "copy.db"
    size = backup(sqlite_db, target)
    stop.set()
    thread.join()
    assert size == target.stat().st_size > 0
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM participant").fetchone()[0] >= 1
    copy.close()
    with pytest.raises(PanelError, match="exists"):
        backup(sqlite_db, target)


def test_backup_of_postgresql_points_to_pg_dump(postgres_url, tmp_path):
    db = Database(postgres_url)
    with pytest.raises(PanelError, match="pg_dump"):
        backup(db, tmp_path / "x.db")
    db.dispose()
