"""What the app stands on once started: the settings, the database and the server key.

Opening it imports the store (SQLAlchemy and friends), which takes a while; the app does that
in a thread after the login screen is painted, so staff can start typing at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import Settings, SettingsError

if TYPE_CHECKING:
    from store.db import Database
    from store.secrets import ServerKey


@dataclass
class Backend:
    settings: Settings
    db: Database
    key: ServerKey

    def close(self) -> None:
        self.db.dispose()


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file the settings point at, or None for another engine or an in-memory one."""
    url = settings.resolved_database_url
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return None
    return Path(url.removeprefix("sqlite:///").split("?")[0])


def precheck(settings: Settings) -> None:
    """Cheap checks, run before the app paints: the key file and the SQLite file must exist.

    Nothing is created here: a mistyped path must not leave an empty database behind.
    """
    if settings.secret_key is None and not settings.resolved_secret_key_file.exists():
        raise SettingsError(
            f"PANEL_SECRET_KEY_FILE: {settings.resolved_secret_key_file} does not exist "
            "(run `panel init` to create it)"
        )
    path = sqlite_file(settings)
    if path is not None and not path.exists():
        raise SettingsError(
            f"PANEL_DATABASE_URL: {path} does not exist (run `panel init` to create it)"
        )


def load_key(settings: Settings) -> ServerKey:
    from store.secrets import ServerKey, ServerKeyError

    try:
        if settings.secret_key is not None:
            return ServerKey.from_text(settings.secret_key.get_secret_value())
        return ServerKey.from_file(settings.resolved_secret_key_file)
    except ServerKeyError as exc:
        name = "PANEL_SECRET_KEY" if settings.secret_key else "PANEL_SECRET_KEY_FILE"
        raise SettingsError(f"{name}: {exc}") from None


def warm_up() -> None:
    """Import the store modules the screens call, so the first use of a screen is not slow."""
    import store.audit
    import store.exporting
    import store.overview
    import store.participants
    import store.population
    import store.roster
    import store.staff  # noqa: F401


def open_backend(settings: Settings, *, require_current_schema: bool = True) -> Backend:
    """Connect and check that the schema is the one this version expects."""
    from sqlalchemy.exc import SQLAlchemyError

    from store.db import Database
    from store.schema import SchemaState, schema_state

    key = load_key(settings)
    precheck(settings)
    try:
        db = Database(settings.resolved_database_url)
    except (SQLAlchemyError, ValueError) as exc:
        raise SettingsError(f"PANEL_DATABASE_URL: {exc}") from None
    if require_current_schema:
        try:
            state = schema_state(db)
        except SQLAlchemyError as exc:
            db.dispose()
            from .faults import explain

            reason = explain(exc) or str(exc.orig if hasattr(exc, "orig") else exc).strip()
            reason = reason.splitlines()[0]
            raise SettingsError(f"PANEL_DATABASE_URL: cannot open the database: {reason}") from None
        if state is not SchemaState.current:
            db.dispose()
            raise SettingsError(f"PANEL_DATABASE_URL: {state.value}")
    warm_up()
    return Backend(settings=settings, db=db, key=key)
