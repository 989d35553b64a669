"""Configuration: `PANEL_*` environment variables over an optional `panel.toml`, read once."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "PANEL_"


class SettingsError(Exception):
    """One line saying which setting is wrong and why."""


def xdg_dir(variable: str, fallback: str, name: str = "panel") -> Path:
    base = os.environ.get(variable) or str(Path.home() / fallback)
    return Path(base) / name


def config_file() -> Path | None:
    """The TOML file to read: `PANEL_CONFIG` if set (it must exist), else the XDG one if present."""
    given = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise SettingsError(f"{ENV_PREFIX}CONFIG: {path} does not exist")
        return path
    path = xdg_dir("XDG_CONFIG_HOME", ".config") / "panel.toml"
    return path if path.is_file() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    data_dir: Path = Field(default_factory=lambda: xdg_dir("XDG_DATA_HOME", ".local/share"))
    """Where the default SQLite database and the server key live."""
    demo_dir: Path = Field(
        default_factory=lambda: xdg_dir("XDG_DATA_HOME", ".local/share", "panel-demo")
    )
    """Where `panel demo` keeps its own database, key and mail, apart from the real ones."""
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite in the data dir. PostgreSQL: postgresql+psycopg://..."""
    secret_key_file: Path | None = None
    """The server key (mode 0600); empty means `server.key` in the data dir."""
    secret_key: SecretStr | None = None
    """The server key itself, base64; given here instead of a file (e.g. from a secret store)."""
    smtp_host: str = "localhost"
    """The SMTP server that relays the panel's email."""
    smtp_port: int = Field(default=25, ge=1, le=65535)
    """Its port: 25 for a local relay, 587 with STARTTLS, 465 with TLS."""
    smtp_username: str = ""
    """SMTP login, if the server needs one."""
    smtp_password: SecretStr = SecretStr("")
    """SMTP password."""
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    """How to encrypt the SMTP connection."""
    mail_from: str = "Innbyggerpanelet <innbyggerpanel@localhost>"
    """The sender of every email: use the municipality's own sending domain."""
    base_url: str = "http://127.0.0.1:8080"
    """The public address of the residents' pages, used in links in email."""
    send_rate: float = Field(default=10.0, gt=0, le=10_000)
    """Messages per second, at most, across all connections."""
    send_concurrency: int = Field(default=4, ge=1, le=64)
    """SMTP connections used at once."""
    send_max_attempts: int = Field(default=8, ge=1, le=100)
    """Tries of a message before it is given up as failed (a 5xx reply fails it at once)."""
    send_retry_seconds: float = Field(default=60.0, ge=0, le=86_400)
    """The wait before the first retry; it doubles with each further try (at most 6 hours)."""
    send_batch_size: int = Field(default=500, ge=1, le=10_000)
    """How many due messages a worker takes from the queue at a time."""
    dispatch_in_app: bool = False
    """The staff app sends what is queued itself (for one machine, and the demo)."""
    send_lease_seconds: float = Field(default=300.0, gt=0, le=86_400)
    """How long a worker holds the messages it took; a dead worker's are taken over after it."""
    smtp_local_hostname: str = ""
    """The name the panel gives itself in EHLO; empty means this machine's full name."""
    smtp_timeout: float = Field(default=60.0, gt=0, le=3600)
    """Seconds to wait for the SMTP server before a try counts as failed."""
    language: Literal["nb", "en"] = "nb"
    """The staff app's language, and the default for residents."""
    web_host: str = "127.0.0.1"
    """Where `panel web` listens: behind a reverse proxy on the same machine, loopback."""
    web_port: int = Field(default=8080, ge=1, le=65535)
    """The port `panel web` listens on."""
    web_trusted_proxies: str = ""
    """Addresses (comma-separated) whose X-Forwarded-For and -Proto are believed; empty: none."""
    web_max_body_bytes: int = Field(default=65_536, ge=1024, le=10_000_000)
    """The largest request body the residents' pages accept."""
    results_min_group: int = Field(default=5, ge=3, le=1000)
    """Results hide a count from fewer people than this (and the others that would give it away),
    on the screen, in every export and on the residents' results pages. At least 3."""
    municipality: str = Field(default="Bærum kommune", min_length=1, max_length=100)
    """The municipality's name, as residents read it in the pages' titles, the privacy notice and
    the emails."""
    privacy_notice_version: str = Field(default="2026-11", min_length=1, max_length=40)
    """The version of the privacy notice residents consent to when they sign up; raise it when
    the notice's text changes, so each consent records which text it was given to."""
    idle_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    """Minutes without a key press before the app locks and asks for a fresh code."""

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'panel.db'}"

    @property
    def resolved_secret_key_file(self) -> Path:
        return self.secret_key_file or self.data_dir / "server.key"


def load_settings(**overrides: object) -> Settings:
    """Read the settings or raise `SettingsError` naming the first bad one."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{ENV_PREFIX}CONFIG: {config_file()}: {exc}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        where = f"{ENV_PREFIX}{field.upper()}"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a setting this program knows"
        elif "input" in error and not isinstance(error["input"], dict) and "password" not in field:
            message += f" (got {error['input']!r})"
        raise SettingsError(f"{where}: {message}") from None
