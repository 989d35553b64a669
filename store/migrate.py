"""Schema migrations with Alembic, run on the panel's own engine."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .db import Database


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "store:migrations")
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision`, creating every table on an empty database."""
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def is_current(db: Database) -> bool:
    return current_revision(db) == head_revision()
