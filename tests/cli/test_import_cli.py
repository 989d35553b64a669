"""`panel import FILE` as an operator runs it: the report, the import, and exit statuses."""

from __future__ import annotations

import io
import sqlite3

import pytest

from tui.cli_import import TextProgress

from .helpers import panel

PASSWORD = "correct horse battery\n"
FILE = (
    "\ufeffNavn;E-post;Kjønn;Fødselsår;Bosted;Telefon\r\n"
    "Åse Ødegård;ase@example.no;kvinne;1985;Jar;123\r\n"
    "\r\n"
    "Ola;ola@;mann;1970;Sandvika;\r\n"
    "Kari;kari@example.no;kvinne;1990;Narnia;\r\n"
    "Per;per@example.no;;;;\r\n"
    "Per igjen;PER@example.no;;;;\r\n"
)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    env = {"PANEL_DATA_DIR": str(tmp_path / "data")}
    made = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    return env


def rows(env, query: str) -> list[tuple]:
    database = sqlite3.connect(f"{env['PANEL_DATA_DIR']}/panel.db")
    try:
        return database.execute(query).fetchall()
    finally:
        database.close()


def test_dry_run_reports_and_writes_nothing(env, tmp_path):
    path = tmp_path / "deltakere.csv"
    path.write_bytes(FILE.encode("utf-8"))
    result = panel("import", str(path), "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "deltakere.csv: read as UTF-8 with BOM, cells separated by semicolons." in out
    assert "Warning: unknown columns ignored: Telefon" in out
    assert "5 rows in the file:" in out
    assert "to add:" in out and out.count("\n  line ") == 3
    assert "  line 4: email: 'ola@' is not a valid address" in out
    assert "  line 5: district: 'Narnia' is not a known district" in out
    assert "  line 7: email: the same address as line 6" in out
    assert "Dry run: nothing was written." in out
    assert rows(env, "SELECT count(*) FROM participant") == [(0,)]
    assert rows(env, "SELECT count(*) FROM audit_event WHERE action LIKE 'participants.%'") == [
        (0,)
    ]


def test_import_writes_the_good_rows_and_reimport_changes_nothing(env, tmp_path):
    path = tmp_path / "deltakere.csv"
    path.write_bytes(FILE.encode("utf-8"))
    result = panel("import", str(path), env=env)
    assert result.returncode == 0, result.stderr
    assert (
        "Imported deltakere.csv: 2 added, 0 updated, 0 skipped, 0 unchanged, "
        "3 bad rows left out." in result.stdout
    )
    assert rows(env, "SELECT name, email, status, consent_note FROM participant ORDER BY id") == [
        ("Åse Ødegård", "ase@example.no", "active", "import: deltakere.csv"),
        ("Per", "per@example.no", "active", "import: deltakere.csv"),
    ]
    again = panel("import", str(path), env=env)
    assert again.returncode == 0
    assert "already on the panel, skipped:       2" in again.stdout
    assert "Nothing to import." in again.stdout
    updated = panel("import", str(path), "--on-duplicate", "update", env=env)
    assert updated.returncode == 0
    assert "already on the panel, unchanged:       2" in updated.stdout
    assert rows(env, "SELECT count(*) FROM participant") == [(2,)]
    assert rows(env, "SELECT action FROM audit_event WHERE action LIKE 'participants.%'") == [
        ("participants.imported",)
    ]


def test_update_mode_changes_a_stored_participant(env, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name,email,district\nOla,ola@example.no,Jar\n", encoding="utf-8")
    assert panel("import", str(path), env=env).returncode == 0
    path.write_text("name,email,district\nOla Nordmann,OLA@example.no,\n", encoding="utf-8")
    result = panel("import", str(path), "--on-duplicate", "update", env=env)
    assert result.returncode == 0, result.stderr
    assert "1 updated" in result.stdout
    assert rows(env, "SELECT name, district FROM participant") == [("Ola Nordmann", "Jar")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "not a CSV or XLSX"),
        (b"navn;telefon\nOla;123\n", "no email column in the header (line 1); expected"),
    ],
)
def test_a_refused_file_exits_1_with_one_line(env, tmp_path, content, message):
    path = tmp_path / "upload.csv"
    if content is not None:
        path.write_bytes(content)
    result = panel("import", str(path), env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("panel: ") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_only_headers_is_nothing_to_import(env, tmp_path):
    path = tmp_path / "tom.csv"
    path.write_text("navn;epost\n", encoding="utf-8")
    result = panel("import", str(path), env=env)
    assert result.returncode == 0
    assert "Nothing to import: the file has a header and no rows." in result.stdout


def test_a_large_file_shows_progress_on_stderr(env, tmp_path):
    path = tmp_path / "stor.csv"
    lines = ["navn,epost"] + [f"P {n},p{n}@example.no" for n in range(3000)]
    path.write_text("\n".join(lines), encoding="cp1252")
    result = panel("import", str(path), env=env)
    assert result.returncode == 0, result.stderr
    assert "3000 added" in result.stdout
    assert [line for line in result.stderr.splitlines() if line.startswith("Checking")] == [
        f"Checking: {n}%" for n in range(10, 101, 10)
    ]
    assert "Importing: 100%" in result.stderr
    assert rows(env, "SELECT count(*) FROM participant") == [(3000,)]


def test_usage(env):
    result = panel("import", "--help", env=env)
    assert result.returncode == 0
    assert "--dry-run" in result.stdout and "--on-duplicate {skip,update}" in result.stdout
    bad = panel("import", "x.csv", "--on-duplicate", "merge", env=env)
    assert bad.returncode == 2


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_bar_is_redrawn_in_place():
    terminal = Terminal()
    with TextProgress("Importing", terminal) as progress:
        for done in range(0, 5001, 500):
            progress(done, 5000)
    frames = terminal.getvalue().split("\r")[1:]
    assert frames[0] == "Importing [------------------------------]   0%"
    assert frames[5] == "Importing [###############---------------]  50%"
    assert frames[-1] == "Importing [##############################] 100%\n"
    assert len(frames) == 11


def test_small_files_show_no_bar():
    terminal = Terminal()
    with TextProgress("Importing", terminal) as progress:
        progress(10, 10)
    assert terminal.getvalue() == ""
