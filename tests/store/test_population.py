"""The reference population: importing it, and the panel compared with it."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from store.actors import Actor
from store.errors import PermissionDenied
from store.import_files import FileRefused
from store.models import AuditEvent, Participant, PopulationCell
from store.population import (
    BAERUM_POPULATION_CSV,
    import_population,
    representation,
    signups_by_source,
)
from store.reference import AGE_BANDS, BAERUM_DISTRICTS
from store.roles import Role
from store.timeutil import utcnow
from tests.factories import actor_for, make_staff

OPERATOR = Actor.operator()
SMALL = """\
# A hand-made population of 1 000: Jar 600, Sandvika 400; 16–24 300, 50–66 700.
district,gender,age_band,count
Jar,female,16–24,100
Jar,male,16–24,100
Jar,female,50–66,200
Jar,male,50–66,200
Sandvika,female,16-24,50
Sandvika,male,16-24,50
Sandvika,female,50–66,150
Sandvika,male,50–66,150
"""


def write(tmp_path, text: str, name: str = "population.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def cells(db) -> list[tuple[str, str, str, int]]:
    with db.read() as session:
        rows = session.exec(select(PopulationCell)).all()
    return sorted((c.district, c.gender, c.age_band, c.count) for c in rows)


def add_people(db, people) -> None:
    """People as (age, gender, district, status, source); age None means no birth year."""
    year = utcnow().year
    with db.write() as session:
        for n, (age, gender, district, status, source) in enumerate(people):
            session.add(
                Participant(
                    name=f"P {n}",
                    email_key=f"p{n}@example.no",
                    birth_year=None if age is None else year - age,
                    gender=gender,
                    district=district,
                    status=status,
                    source=source,
                )
            )


def test_the_shipped_baerum_file_imports(db):
    result = import_population(
        db, actor=OPERATOR, path=BAERUM_POPULATION_CSV, source_note="SSB 07459"
    )
    assert result.imported and not result.bad
    assert result.cells == 140
    assert 100_000 < result.total < 106_000
    loaded = cells(db)
    assert len(loaded) == 140
    assert {c[0] for c in loaded} == set(BAERUM_DISTRICTS)
    assert {c[2] for c in loaded} == {label for label, _low, _high in AGE_BANDS}
    with db.read() as session:
        assert set(session.exec(select(PopulationCell.source))) == {"SSB 07459"}
        event = session.exec(select(AuditEvent)).one()
    assert event.action == "population.imported"
    assert event.detail == {
        "cells": 140,
        "total": result.total,
        "replaced": 0,
        "file": "baerum_population.csv",
    }
    header = BAERUM_POPULATION_CSV.read_text(encoding="utf-8")
    assert "07459" in header and "approximat" in header.lower()


def test_norwegian_headers_bom_semicolons_and_crlf(db, tmp_path):
    text = "\ufeffsep=;\r\nbosted;kjønn;aldersgruppe;antall\r\nJar;kvinne;67 +;1 234\r\n"
    text += "Jar;Mann;16 - 24;5\r\n;;;\r\n"
    result = import_population(db, actor=OPERATOR, path=write(tmp_path, text))
    assert result.imported
    assert cells(db) == [("Jar", "female", "67+", 1234), ("Jar", "male", "16–24", 5)]
    with db.read() as session:
        assert session.exec(select(PopulationCell.source)).first() == "population.csv"


def test_bad_rows_are_reported_by_line_and_nothing_is_written(db, tmp_path):
    import_population(db, actor=OPERATOR, path=write(tmp_path, SMALL))
    before = cells(db)
    bad = write(
        tmp_path,
        "# figures with mistakes\n"
        "bosted;kjønn;aldersgruppe;antall\n"
        "Sandvika;kvinne;16-24;100\n"  # 3: good
        "Sandvika;mann;15–19;100\n"  # 4: no such band
        "Jar;female;25–34;-3\n"  # 5: negative
        "Jar;female;35–49;12.5\n"  # 6: not whole
        "Sandvika;Kvinne;16–24;5\n"  # 7: the same cell as line 3
        "Jar;other;67+;5\n"  # 8: no population figures for other
        "Jar;male\n"  # 9: too short
        ";male;67+;x\n",  # 10: two problems
        name="bad.csv",
    )
    result = import_population(db, actor=OPERATOR, path=bad)
    assert not result.imported
    assert [(p.line, p.field) for p in result.bad] == [
        (4, "age_band"),
        (5, "count"),
        (6, "count"),
        (7, "row"),
        (8, "gender"),
        (9, "row"),
        (10, "district"),
        (10, "count"),
    ]
    assert "is not one of 16–24, 25–34, 35–49, 50–66, 67+" in result.bad[0].reason
    assert "negative" in result.bad[1].reason
    assert "whole number" in result.bad[2].reason
    assert "line 3" in result.bad[3].reason
    assert cells(db) == before
    with db.read() as session:
        assert len(session.exec(select(AuditEvent)).all()) == 1


def test_a_new_import_replaces_the_table(db, tmp_path):
    import_population(db, actor=OPERATOR, path=write(tmp_path, SMALL))
    again = import_population(
        db,
        actor=OPERATOR,
        path=write(tmp_path, "district,gender,age_band,count\nLysaker,male,67+,7\n", "new.csv"),
        source_note="SSB 2025",
    )
    assert (again.cells, again.total, again.replaced) == (1, 7, 8)
    assert cells(db) == [("Lysaker", "male", "67+", 7)]
    with db.read() as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert [e.detail["replaced"] for e in events] == [0, 8]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b"# only a comment\n\n", "is empty"),
        (b"PK\x03\x04\x14\x00\x06\x00binary\x00", "is not a UTF-8 CSV file"),
        (b"caf\xe9;kj\xf8nn\n", "is not a UTF-8 CSV file"),
        (b"district,gender,age_band,count\n", "no figures"),
        (b"district,gender,count\nJar,male,5\n", "has no age_band column"),
    ],
)
def test_files_that_cannot_be_read_are_refused(db, tmp_path, content, message):
    path = tmp_path / "population.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(FileRefused, match=message):
        import_population(db, actor=OPERATOR, path=path)
    assert cells(db) == []


def test_only_admins_import_but_every_role_reads(db, key, tmp_path):
    path = write(tmp_path, SMALL)
    for name, role in (("ana", Role.analyst), ("ed", Role.editor)):
        make_staff(db, key, name, role)
        actor = actor_for(db, name)
        with pytest.raises(PermissionDenied):
            import_population(db, actor=actor, path=path)
        assert representation(db, actor=actor).population_loaded is False
        assert signups_by_source(db, actor=actor).all.total == 0
    assert cells(db) == []


def rows(dimension) -> dict[str, tuple]:
    return {
        r.group: (r.panel, r.panel_share, r.population_share, r.ratio, r.under)
        for r in dimension.rows
    }


def test_representation_shares_ratios_and_flags(db, tmp_path):
    import_population(db, actor=OPERATOR, path=write(tmp_path, SMALL), source_note="hand-made")
    add_people(
        db,
        [
            (20, "female", "Jar", "active", None),
            (55, "female", "Jar", "active", None),
            (55, "female", "Jar", "active", None),
            (55, "female", "Sandvika", "active", None),
            (55, "female", "Sandvika", "active", None),
            (55, "female", "Lommedalen", "active", None),
            (55, "male", "Jar", "active", None),
            (40, "male", "Jar", "active", None),
            (14, "other", "Sandvika", "active", None),  # too young for any band
            (None, None, None, "active", None),
            # Not active: not counted.
            (20, "male", "Sandvika", "paused", None),
            (20, "male", "Sandvika", "pending", None),
            (20, "male", "Sandvika", "unsubscribed", None),
            (None, None, None, "erased", None),
        ],
    )
    result = representation(db, actor=OPERATOR)
    assert result.population_loaded
    assert (result.population_total, result.population_source, result.active) == (
        1000,
        "hand-made",
        10,
    )
    approx = pytest.approx

    assert (result.age.known, result.age.unknown) == (8, 2)
    age = rows(result.age)
    assert list(age) == ["16–24", "25–34", "35–49", "50–66", "67+"]
    assert age["16–24"] == (1, approx(1 / 8), approx(0.3), approx(1 / 8 / 0.3), True)
    assert age["50–66"] == (6, approx(6 / 8), approx(0.7), approx(6 / 8 / 0.7), False)
    assert age["35–49"] == (1, approx(1 / 8), None, None, False)  # no figure: no flag
    assert age["67+"] == (0, 0.0, None, None, False)

    assert (result.gender.known, result.gender.unknown) == (9, 1)
    gender = rows(result.gender)
    assert list(gender) == ["female", "male", "other"]
    assert gender["female"] == (6, approx(6 / 9), approx(0.5), approx(12 / 9), False)
    assert gender["male"] == (2, approx(2 / 9), approx(0.5), approx(4 / 9), True)
    assert gender["other"] == (1, approx(1 / 9), None, None, False)

    assert (result.district.known, result.district.unknown) == (9, 1)
    district = rows(result.district)
    assert list(district) == ["Jar", "Lommedalen", "Sandvika"]
    assert district["Jar"] == (5, approx(5 / 9), approx(0.6), approx(5 / 9 / 0.6), False)
    assert district["Sandvika"] == (3, approx(3 / 9), approx(0.4), approx(3 / 9 / 0.4), False)
    assert district["Lommedalen"] == (1, approx(1 / 9), None, None, False)

    stricter = representation(db, actor=OPERATOR, threshold=0.9)
    assert rows(stricter.district)["Sandvika"][-1] is True  # 0.83 < 0.9
    assert rows(stricter.district)["Jar"][-1] is False  # 0.93


def test_without_a_population_the_panel_is_still_counted(db):
    add_people(db, [(20, "female", "Jar", "active", None), (70, "male", None, "active", None)])
    result = representation(db, actor=OPERATOR)
    assert not result.population_loaded
    assert result.population_total == 0 and result.population_source is None
    assert rows(result.district) == {"Jar": (1, 1.0, None, None, False)}
    assert result.district.unknown == 1
    assert not any(r.under for d in (result.age, result.gender) for r in d.rows)
    assert rows(result.age)["16–24"][:2] == (1, 0.5)


def test_signups_by_source_and_age_band(db):
    add_people(
        db,
        [
            (20, "female", "Jar", "active", "Facebook"),
            (18, "male", "Jar", "paused", "Facebook"),
            (24, "female", "Jar", "pending", "Facebook"),
            (40, "female", "Jar", "active", "Facebook"),
            (None, "female", "Jar", "active", "Facebook"),
            (70, "female", "Jar", "active", "Budstikka"),
            (80, "female", "Jar", "active", "Budstikka"),
            (30, "male", "Jar", "unsubscribed", "Budstikka"),
            (20, None, None, "erased", "Budstikka"),  # erased: not counted
            (55, "male", "Jar", "active", None),
        ],
    )
    table = signups_by_source(db, actor=OPERATOR)
    assert table.bands == ("16–24", "25–34", "35–49", "50–66", "67+")
    got = [(r.source, r.bands, r.unknown_age, r.total) for r in table.rows]
    assert got == [
        ("Facebook", (3, 0, 1, 0, 0), 1, 5),
        ("Budstikka", (0, 1, 0, 0, 2), 0, 3),
        (None, (0, 0, 0, 1, 0), 0, 1),
    ]
    assert table.rows[0].young_share == pytest.approx(3 / 4)
    assert table.rows[1].young_share == 0
    assert (table.all.bands, table.all.unknown_age, table.all.total) == ((3, 1, 1, 1, 2), 1, 9)
    assert table.all.young_share == pytest.approx(3 / 8)
