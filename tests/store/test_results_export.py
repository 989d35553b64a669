"""Result files opened again and checked: the Markdown report, CSV with its codebook, XLSX;
protection in every format; what analysts may take."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest
from openpyxl import load_workbook

from store.errors import PermissionDenied
from store.results import protect_line
from store.results_export import codebook_path, export_results
from tests.store.test_results import ADMIN, ANALYST, generate


def test_the_report_gives_the_protected_figures(db) -> None:
    survey_id, rows = generate(db, 120)
    text = export_results(db, actor=ANALYST, survey_id=survey_id, fmt="md")
    assert text.startswith("# Klima\n")
    assert f"{len(rows)} svar, svar fra {round(len(rows) / 120 * 100)}\u00a0% av dem" in text
    aware = Counter(r["aware"] for r in rows)
    cells, _total = protect_line([aware["Ja"], aware["Nei"], aware["Vet ikke"]], 5, len(rows))
    for label, cell in zip(("Ja", "Nei", "Vet ikke"), cells, strict=True):
        shown = "færre enn 5" if cell is None else str(cell)
        assert re.search(rf"\| {label} \| {shown} \|", text), (label, cell, text)
    assert "## 5. Ideer?" in text and "svar i fritekst" in text
    english = export_results(db, actor=ANALYST, survey_id=survey_id, fmt="md", language="en")
    assert "responses, answers from" in english and "| Answer | Count | Share |" in english


def test_no_hidden_count_appears_in_any_format(db, tmp_path) -> None:
    survey_id, rows = generate(db, 30)
    small = Counter(r["aware"] for r in rows)
    hidden = {label: n for label, n in small.items() if 0 < n < 15}
    assert hidden  # with 27 answers and k = 15 at least one choice is hidden
    text = export_results(db, actor=ADMIN, survey_id=survey_id, fmt="md", k=15)
    for label, n in hidden.items():
        assert f"| {label} | {n} |" not in text
    export_results(db, actor=ADMIN, survey_id=survey_id, fmt="xlsx", path=tmp_path / "r.xlsx",
                   k=15)  # fmt: skip
    summary = load_workbook(tmp_path / "r.xlsx")["Oppsummering"]
    cells = {row[0].value: row[1].value for row in summary.iter_rows() if len(row) > 1}
    for label in hidden:
        assert cells[label] == "færre enn 15"


def test_csv_has_a_row_per_response_and_a_codebook(db, tmp_path) -> None:
    survey_id, rows = generate(db, 50)
    path = tmp_path / "klima.csv"
    export_results(db, actor=ADMIN, survey_id=survey_id, fmt="csv", path=path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(rows)
    assert list(table[0]) == ["response", "date", "age_band", "gender", "district", "aware",
                              "modes", "worry", "age", "ideas"]  # fmt: skip
    for line, row in zip(table, rows, strict=True):  # responses in the order they were made
        assert (line["gender"], line["aware"]) == (row["gender"], row["aware"])
        assert line["modes"] == "; ".join(row["modes"])
        assert line["worry"] == (str(row["worry"]) if row["worry"] is not None else "")
    assert path.stat().st_mode & 0o077 == 0
    with codebook_path(path).open(encoding="utf-8-sig", newline="") as handle:
        codebook = {line["column"]: line for line in csv.DictReader(handle)}
    assert codebook["aware"]["values"] == "Ja; Nei; Vet ikke"
    assert codebook["worry"]["kind"] == "scale"


def test_xlsx_has_a_summary_and_the_responses_for_editors_only(db, tmp_path) -> None:
    survey_id, rows = generate(db, 40)
    export_results(db, actor=ADMIN, survey_id=survey_id, fmt="xlsx", path=tmp_path / "a.xlsx")
    book = load_workbook(tmp_path / "a.xlsx")
    assert book.sheetnames == ["Oppsummering", "Svar", "Kodebok"]
    assert book["Svar"].max_row == len(rows) + 1
    export_results(db, actor=ANALYST, survey_id=survey_id, fmt="xlsx", path=tmp_path / "b.xlsx")
    assert load_workbook(tmp_path / "b.xlsx").sheetnames == ["Oppsummering"]
    with pytest.raises(PermissionDenied):
        export_results(db, actor=ANALYST, survey_id=survey_id, fmt="csv", path=tmp_path / "c.csv")
    assert not (tmp_path / "c.csv").exists()


def test_the_report_puts_weighted_shares_beside_the_others(db) -> None:
    from store.weighting import survey_weighting, weighted_shares
    from tests.store.test_weighting import load_population

    survey_id, _rows = generate(db, 200)
    load_population(db)
    weighting = survey_weighting(db, actor=ANALYST, survey_id=survey_id)
    shares = weighted_shares(db, actor=ANALYST, survey_id=survey_id, weighting=weighting)
    text = export_results(db, actor=ANALYST, survey_id=survey_id, fmt="md")
    assert "| Svar | Antall | Andel | Vektet |" in text
    assert f"effektivt utvalg: {round(weighting.effective_n)}" in text
    ja = shares["aware"][0].share
    assert re.search(rf"\| Ja \| \d+ \| \d+\u00a0% \| {round(ja * 100)}\u00a0% \|", text), text
