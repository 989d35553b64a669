"""`panel population import FILE` as an operator runs it."""

from __future__ import annotations

import json
import sqlite3

from store.population import BAERUM_POPULATION_CSV

from .helpers import panel

PASSWORD = "correct horse battery\n"


def init(tmp_path) -> dict[str, str]:
    env = {"PANEL_DATA_DIR": str(tmp_path)}
    result = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert result.returncode == 0, result.stderr
    return env


def table(tmp_path) -> list[tuple]:
    database = sqlite3.connect(tmp_path / "panel.db")
    try:
        return database.execute(
            "SELECT district, gender, age_band, count, source FROM population_cell "
            "ORDER BY district, gender, age_band"
        ).fetchall()
    finally:
        database.close()


def test_import_the_shipped_file_then_replace_it(tmp_path):
    env = init(tmp_path)
    result = panel("population", "import", str(BAERUM_POPULATION_CSV), env=env)
    assert result.returncode == 0, result.stderr
    assert "Imported the population from baerum_population.csv: 140 cells" in result.stdout
    assert "residents in all (replacing 0 cells)" in result.stdout
    assert len(table(tmp_path)) == 140

    mine = tmp_path / "befolkning.csv"
    mine.write_bytes("\ufeffbosted;kjønn;aldersgruppe;antall\r\nJar;kvinne;16-24;12\r\n".encode())
    again = panel("population", "import", str(mine), "--source", "SSB 2025", env=env)
    assert again.returncode == 0, again.stderr
    assert "befolkning.csv: 1 cells, 12 residents in all" in again.stdout
    assert "(replacing 140 cells)" in again.stdout
    assert table(tmp_path) == [("Jar", "female", "16–24", 12, "SSB 2025")]

    database = sqlite3.connect(tmp_path / "panel.db")
    audit = database.execute(
        "SELECT actor_name, action, detail FROM audit_event WHERE action LIKE 'population.%'"
    ).fetchall()
    database.close()
    assert [action for _actor, action, _detail in audit] == ["population.imported"] * 2
    assert all(actor.startswith("shell:") for actor, _action, _detail in audit)
    assert json.loads(audit[1][2])["cells"] == 1


def test_a_bad_file_is_refused_line_by_line_and_nothing_is_written(tmp_path):
    env = init(tmp_path)
    assert panel("population", "import", str(BAERUM_POPULATION_CSV), env=env).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "district,gender,age_band,count\nJar,female,16–24,10\nJar,male,10–15,5\nJar,female,16–24,3\n",
        encoding="utf-8",
    )
    result = panel("population", "import", str(bad), env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "bad.csv has 2 bad rows; nothing was imported:" in result.stderr
    assert "line 3: age_band: '10–15' is not one of 16–24" in result.stderr
    assert "line 4: row: the same cell as line 2" in result.stderr
    assert len(table(tmp_path)) == 140


def test_missing_empty_and_binary_files_get_one_line(tmp_path):
    env = init(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    binary = tmp_path / "book.xlsx"
    binary.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00")
    for path, message in (
        (tmp_path / "nowhere.csv", "does not exist"),
        (empty, "empty.csv is empty"),
        (binary, "book.xlsx is not a UTF-8 CSV file"),
    ):
        result = panel("population", "import", str(path), env=env)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("panel: ") and message in lines[0]
    assert table(tmp_path) == []
