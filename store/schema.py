"""A cheap check of the schema's revision, without loading Alembic (it is slow to import)."""

from __future__ import annotations

from enum import Enum

from sqlalchemy import inspect, text

from .db import Database

# The newest migration's revision; a test keeps it equal to Alembic's head.
SCHEMA_HEAD = "0007"


class SchemaState(Enum):
    current = "the schema is current"
    empty = "the database has no tables yet: run `panel init`"
    behind = "the database is from an older version: run `panel db upgrade`"
    ahead = "the database is from a newer version of panel: upgrade the program"


def schema_state(db: Database) -> SchemaState:
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return SchemaState.empty
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision == SCHEMA_HEAD:
        return SchemaState.current
    if revision is None:
        return SchemaState.empty
    return SchemaState.behind if revision < SCHEMA_HEAD else SchemaState.ahead
