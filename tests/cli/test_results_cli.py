"""`panel results`: the report on standard output, CSV and XLSX files, bad requests refused."""

from __future__ import annotations

from openpyxl import load_workbook

from store.db import Database
from tests.store.test_results import generate

from .helpers import panel
from .test_survey_commands import init


def test_report_csv_and_xlsx(tmp_path):
    env = init(tmp_path)
    db = Database(f"sqlite:///{tmp_path / 'panel.db'}")
    survey_id, rows = generate(db, 60)
    db.dispose()
    report = panel("results", str(survey_id), "--language", "nb", env=env)
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("# Klima") and f"{len(rows)} svar" in report.stdout
    default = panel("results", str(survey_id), env=env)  # the settings' language: English here
    assert f"{len(rows)} responses" in default.stdout
    out = tmp_path / "out" / "klima.csv"
    written = panel("results", str(survey_id), "--format", "csv", "-o", str(out), env=env)
    assert written.returncode == 0 and "klima.codebook.csv" in written.stdout
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == len(rows) + 1
    book = tmp_path / "klima.xlsx"
    assert panel("results", str(survey_id), "--format", "xlsx", "-o", str(book),
                 env=env).returncode == 0  # fmt: skip
    assert load_workbook(book).sheetnames == ["Summary", "Responses", "Codebook"]
    nameless = panel("results", str(survey_id), "--format", "xlsx", env=env)
    assert nameless.returncode == 2 and "-o FILE" in nameless.stderr
    low = panel("results", str(survey_id), "--k", "2", env=env)
    assert low.returncode == 1 and "at least 3" in low.stderr
    missing = panel("results", "999", env=env)
    assert missing.returncode == 1 and "999" in missing.stderr


def test_the_smallest_group_shown_is_a_setting(tmp_path):
    env = init(tmp_path)
    db = Database(f"sqlite:///{tmp_path / 'panel.db'}")
    survey_id, _rows = generate(db, 30)
    db.dispose()
    strict = panel("results", str(survey_id), env={**env, "PANEL_RESULTS_MIN_GROUP": "50"})
    assert strict.returncode == 0 and "fewer than 50 responses" in strict.stdout
    loose = panel("results", str(survey_id), env={**env, "PANEL_RESULTS_MIN_GROUP": "2"})
    assert loose.returncode == 2 and "RESULTS_MIN_GROUP" in loose.stderr.upper()
