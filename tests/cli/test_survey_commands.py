"""`panel survey import FILE` and `panel survey export ID` as an operator runs them."""

from __future__ import annotations

import sqlite3
import stat

from store.demo import SURVEY_FILES

from .helpers import panel

PASSWORD = "correct horse battery\n"
KLIMA = next(path for path in SURVEY_FILES if path.name == "klima.yaml")


def init(tmp_path) -> dict[str, str]:
    env = {"PANEL_DATA_DIR": str(tmp_path)}
    result = panel("init", "--admin", "kari", "--password-stdin", env=env, stdin=PASSWORD)
    assert result.returncode == 0, result.stderr
    return env


def surveys(tmp_path) -> list[tuple]:
    database = sqlite3.connect(tmp_path / "panel.db")
    try:
        return database.execute("SELECT id, title, status FROM survey ORDER BY id").fetchall()
    finally:
        database.close()


def test_import_then_export_gives_the_file_back(tmp_path):
    env = init(tmp_path)
    result = panel("survey", "import", str(KLIMA), env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\n"
    assert result.stderr == "Imported “Klima i Bærum” as survey 1: 7 questions, a draft.\n"
    assert surveys(tmp_path) == [(1, "Klima i Bærum", "draft")]

    exported = panel("survey", "export", "1", env=env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == KLIMA.read_text(encoding="utf-8")

    out = tmp_path / "ut" / "klima.yaml"
    out.parent.mkdir()
    written = panel("survey", "export", "1", "-o", str(out), env=env)
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    assert f"Wrote survey 1 to {out}." in written.stderr
    assert out.read_text(encoding="utf-8") == exported.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in out.parent.iterdir()] == ["klima.yaml"]  # no temporary file left

    again = panel("survey", "import", str(out), env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "2\n"
    assert panel("survey", "export", "2", env=env).stdout == exported.stdout


def test_export_over_an_existing_file_makes_it_private(tmp_path):
    env = init(tmp_path)
    assert panel("survey", "import", str(KLIMA), env=env).returncode == 0
    out = tmp_path / "klima.yaml"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o644)
    result = panel("survey", "export", "1", "--output", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("title: Klima i Bærum\n")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    nowhere = tmp_path / "no-such-folder" / "klima.yaml"
    result = panel("survey", "export", "1", "-o", str(nowhere), env=env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"panel: cannot write {nowhere}: ")


def test_a_bad_file_is_refused_with_every_problem_and_its_line(tmp_path):
    env = init(tmp_path)
    bad = tmp_path / "klima.yaml"
    bad.write_text(
        "title: Klima i Bærum\n"
        "questions:\n"
        "  - id: worry\n"
        "    kind: scale\n"
        "    text: Hvor bekymret er du?\n"
        "    min: 5\n"
        "    max: 1\n"
        "  - id: ideas\n"
        "    kind: text\n"
        "    text: Hva bør kommunen gjøre?\n"
        "    show_if: {aware: Ja}\n"
        "    lables: x\n",
        encoding="utf-8",
    )
    result = panel("survey", "import", str(bad), env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"panel: {bad}:7: question 1 (worry), max: must be greater than min",
        f"panel: {bad}:11: question 2 (ideas), show_if: 'aware' is no question; "
        "a condition looks back only",
        f"panel: {bad}:12: question 2 (ideas), lables: unknown key; did you mean labels?",
        f"panel: {bad}: 3 problems; nothing was imported.",
    ]
    assert surveys(tmp_path) == []


def test_unreadable_files_are_refused(tmp_path):
    env = init(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("title: Klima\nintro: Bærum\n".encode("latin-1"))
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"")
    missing = tmp_path / "nowhere.yaml"
    for path, problem in (
        (latin, ":2: the file is not UTF-8 text"),
        (empty, ": the file is empty"),
        (missing, ": the file does not exist"),
    ):
        result = panel("survey", "import", str(path), env=env)
        assert result.returncode == 2
        lines = result.stderr.splitlines()
        assert lines[0].startswith(f"panel: {path}{problem}")
        assert lines[1] == f"panel: {path}: 1 problem; nothing was imported."
    assert surveys(tmp_path) == []


def test_an_unknown_survey(tmp_path):
    env = init(tmp_path)
    result = panel("survey", "export", "99", env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "panel: no survey has the id 99\n"
    out = tmp_path / "99.yaml"
    result = panel("survey", "export", "99", "-o", str(out), env=env)
    assert result.returncode == 2
    assert not out.exists()
