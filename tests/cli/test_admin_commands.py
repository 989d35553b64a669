"""`panel init`, `panel staff`, `panel db upgrade` and `panel backup` as an operator runs them."""

from __future__ import annotations

import re
import sqlite3

from store.schema import SCHEMA_HEAD

from .helpers import panel

PASSWORD = "correct horse battery\n"


def test_init_creates_key_database_and_first_admin(tmp_path):
    env = {"PANEL_DATA_DIR": str(tmp_path / "data")}
    result = panel("init", "--admin", "Kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert result.returncode == 0, result.stderr
    key = tmp_path / "data" / "server.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "data" / "panel.db").stat().st_mode & 0o077 == 0
    assert "otpauth://totp/Innbyggerpanelet:kari?secret=" in result.stdout
    secret = re.search(r"secret=([A-Z2-7]+)", result.stdout).group(1)
    assert f"TOTP secret:    {secret}" in result.stdout
    assert len(re.findall(r"^  [a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$", result.stdout, re.M)) == 10
    assert "▀" in result.stdout or "▄" in result.stdout  # the QR code
    database = sqlite3.connect(tmp_path / "data" / "panel.db")
    assert database.execute("SELECT username, role FROM staff").fetchall() == [("kari", "admin")]
    assert secret.encode() not in (tmp_path / "data" / "panel.db").read_bytes()

    again = panel("init", env=env)
    assert again.returncode == 0
    assert "admin exists already" in again.stdout


def test_staff_commands(tmp_path):
    env = {"PANEL_DATA_DIR": str(tmp_path)}
    assert (
        panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD).returncode
        == 0
    )
    added = panel(
        "staff", "add", "ola", "--role", "analyst", "--password-stdin", env=env, stdin=PASSWORD
    )
    assert added.returncode == 0, added.stderr
    assert "otpauth://totp/Innbyggerpanelet:ola" in added.stdout

    short = panel(
        "staff", "add", "per", "--role", "editor", "--password-stdin", env=env, stdin="short\n"
    )
    assert short.returncode == 1
    assert "password: must have at least 12 characters" in short.stderr

    taken = panel(
        "staff", "add", "OLA", "--role", "editor", "--password-stdin", env=env, stdin=PASSWORD
    )
    assert taken.returncode == 1 and "taken" in taken.stderr

    assert panel("staff", "disable", "ola", env=env).returncode == 0
    listing = panel("staff", "list", env=env).stdout
    assert re.search(r"^kari\s+admin\s+active", listing, re.M)
    assert re.search(r"^ola\s+analyst\s+disabled", listing, re.M)

    reset = panel("staff", "reset-totp", "ola", env=env)
    assert reset.returncode == 0 and "otpauth://" in reset.stdout
    missing = panel("staff", "disable", "nobody", env=env)
    assert missing.returncode == 1 and "nobody" in missing.stderr

    audit = (
        sqlite3.connect(tmp_path / "panel.db")
        .execute("SELECT action FROM audit_event ORDER BY id")
        .fetchall()
    )
    assert [a for (a,) in audit] == [
        "staff.created",
        "staff.created",
        "staff.disabled",
        "staff.totp_reset",
    ]


def test_db_upgrade_and_backup(tmp_path):
    env = {"PANEL_DATA_DIR": str(tmp_path)}
    upgraded = panel("db", "upgrade", env=env)
    assert upgraded.returncode == 0 and f"→ {SCHEMA_HEAD}" in upgraded.stdout
    assert (
        panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD).returncode
        == 0
    )
    copy = tmp_path / "backups" / "panel-copy.db"
    result = panel("backup", str(copy), env=env)
    assert result.returncode == 0, result.stderr
    rows = sqlite3.connect(copy).execute("SELECT username FROM staff").fetchall()
    assert rows == [("kari",)]
    again = panel("backup", str(copy), env=env)
    assert again.returncode == 1 and "exists" in again.stderr


def test_version_names_the_release_and_the_schema():
    from store.schema import SCHEMA_HEAD

    shown = panel("--version")
    assert shown.returncode == 0
    assert shown.stdout.startswith("panel 0.") and f"(schema {SCHEMA_HEAD})" in shown.stdout


def test_a_command_run_through_sudo_is_audited_as_the_person(tmp_path):
    import getpass

    env = {"PANEL_DATA_DIR": str(tmp_path), "SUDO_USER": ""}
    made = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    added = panel(
        "staff",
        "add",
        "ola",
        "--role",
        "editor",
        "--password-stdin",
        env={**env, "SUDO_USER": "ola.nordmann"},
        stdin=PASSWORD,
    )
    assert added.returncode == 0, added.stderr
    database = sqlite3.connect(tmp_path / "panel.db")
    try:
        names = [row[0] for row in database.execute("SELECT actor_name FROM audit_event")]
    finally:
        database.close()
    assert f"shell:ola.nordmann as {getpass.getuser()}" in names
    assert f"shell:{getpass.getuser()}" in names  # init, run without sudo
