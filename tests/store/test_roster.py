"""The roster's queries and one participant's operations, on both engines."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from sqlmodel import col, select

from store.actors import Actor
from store.errors import Invalid, NotFound, PanelError, PermissionDenied
from store.exporting import export_participants
from store.models import AuditEvent, Interest
from store.participants import (
    ParticipantInput,
    create_participant,
    get_participant,
    set_status,
    update_participant,
)
from store.roles import Role
from store.roster import RosterFilter, filter_choices, roster_page
from store.timeutil import utcnow
from tests.factories import actor_for, make_staff

ADMIN = Actor.operator()


def person(name: str, email: str, **fields) -> ParticipantInput:
    return ParticipantInput(name=name, email=email, **fields)


@pytest.fixture
def panel(db):
    with db.write() as session:
        session.add_all([Interest(name="Klima og miljø"), Interest(name="Samferdsel")])
    year = utcnow().year
    people = [
        person(
            "Åse Ødegård",
            "ase@example.no",
            gender="kvinne",
            birth_year=str(year - 20),
            district="Jar",
            interests=("Klima og miljø",),
            source="Facebook",
        ),
        person(
            "Ørjan Berg",
            "orjan@example.no",
            gender="mann",
            birth_year="1960",
            district="Sandvika",
            interests=("samferdsel",),
            source="Budstikka",
        ),
        person(
            "Kari Nordmann",
            "Kari.N@Example.no",
            gender="K",
            birth_year="45",
            district="jar",
            source="Budstikka",
        ),
    ]
    ids = [create_participant(db, actor=ADMIN, data=p) for p in people]
    return db, ids


def names(page) -> list[str]:
    return [row.name for row in page.rows]


def test_page_counts_and_default_sort(panel):
    db, _ids = panel
    page = roster_page(db, actor=ADMIN)
    assert (page.matching, page.total) == (3, 3)
    assert names(page)[0] == "Kari Nordmann"
    assert page.rows[0].interests == ""
    assert page.rows[-1].interests in ("Klima og miljø", "Samferdsel")


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ødegå", ["Åse Ødegård"]),
        ("ØDEGÅ", ["Åse Ødegård"]),
        ("nordmann", ["Kari Nordmann"]),
        ("kari.n@example", ["Kari Nordmann"]),
        ("100%", []),
        ("_", []),
    ],
)
def test_search_ignores_case_including_norwegian_letters(panel, search, expected):
    db, _ids = panel
    assert names(roster_page(db, actor=ADMIN, filter=RosterFilter(search=search))) == expected


def test_filters(panel):
    db, _ids = panel
    by = lambda **f: sorted(names(roster_page(db, actor=ADMIN, filter=RosterFilter(**f))))  # noqa: E731
    assert by(district="Jar") == ["Kari Nordmann", "Åse Ødegård"]
    assert by(gender="male") == ["Ørjan Berg"]
    assert by(age_band="16–24") == ["Åse Ødegård"]
    assert by(interest="Samferdsel") == ["Ørjan Berg"]
    assert by(source="Budstikka") == ["Kari Nordmann", "Ørjan Berg"]
    assert by(source="Budstikka", district="Jar") == ["Kari Nordmann"]
    page = roster_page(db, actor=ADMIN, filter=RosterFilter(district="Jar"))
    assert (page.matching, page.total) == (2, 3)


def test_sort_by_age_and_paging(panel):
    db, _ids = panel
    youngest_first = roster_page(db, actor=ADMIN, sort="age")
    assert names(youngest_first)[0] == "Åse Ødegård"
    assert names(roster_page(db, actor=ADMIN, sort="age", descending=True))[0] == "Ørjan Berg"
    second = roster_page(db, actor=ADMIN, sort="age", offset=1, limit=1, count=False)
    assert len(second.rows) == 1 and second.matching == -1
    with pytest.raises(ValueError):
        roster_page(db, actor=ADMIN, sort="password")


def test_analysts_never_see_the_roster(panel, key):
    db, ids = panel
    make_staff(db, key, "ana", Role.analyst)
    analyst = actor_for(db, "ana")
    with pytest.raises(PermissionDenied):
        roster_page(db, actor=analyst)
    with pytest.raises(PermissionDenied):
        get_participant(db, actor=analyst, participant_id=ids[0])
    with pytest.raises(PermissionDenied):
        filter_choices(db, actor=analyst)
    with pytest.raises(PermissionDenied):
        create_participant(db, actor=analyst, data=person("X", "x@example.no"))


def test_validation_names_the_field(panel):
    db, _ids = panel
    cases = [
        (person("", "a@example.no"), "name"),
        (person("A", "not-an-email"), "email"),
        (person("A", "ASE@example.no"), "email"),  # taken, whatever the case
        (person("A", "a@example.no", birth_year="1850"), "birth_year"),
        (person("A", "a@example.no", district="Atlantis"), "district"),
        (person("A", "a@example.no", interests=("Knitting",)), "interest"),
        (person("A", "a@example.no", gender="maybe"), "gender"),
    ]
    for data, field in cases:
        with pytest.raises(Invalid) as refused:
            create_participant(db, actor=ADMIN, data=data)
        assert refused.value.field == field


def test_update_and_status_are_audited_without_personal_data(panel):
    db, ids = panel
    data = get_participant(db, actor=ADMIN, participant_id=ids[2]).fields
    changed = ParticipantInput(
        **{**data.__dict__, "name": "Kari Nordkvinne", "interests": ("Samferdsel",)}
    )
    update_participant(db, actor=ADMIN, participant_id=ids[2], data=changed)
    assert get_participant(db, actor=ADMIN, participant_id=ids[2]).fields.name == "Kari Nordkvinne"
    set_status(db, actor=ADMIN, participant_id=ids[2], status="paused")
    with pytest.raises(Invalid):
        set_status(db, actor=ADMIN, participant_id=ids[2], status="erased")
    with db.read() as session:
        events = list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))))
    assert [e.action for e in events[-2:]] == ["participant.updated", "participant.status"]
    assert events[-2].detail == {"fields": ["interests", "name"]}
    assert "Kari" not in str([e.detail for e in events])
    # Nothing changed: nothing audited.
    same = get_participant(db, actor=ADMIN, participant_id=ids[2]).fields
    update_participant(db, actor=ADMIN, participant_id=ids[2], data=same)
    with db.read() as session:
        assert len(list(session.exec(select(AuditEvent)))) == len(events)
    with pytest.raises(NotFound):
        get_participant(db, actor=ADMIN, participant_id=9999)


def test_export_csv_and_xlsx_admins_only(panel, key, tmp_path):
    db, _ids = panel
    count = export_participants(
        db, actor=ADMIN, filter=RosterFilter(district="Jar"), path=tmp_path / "jar.csv"
    )
    assert count == 2
    raw = (tmp_path / "jar.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert (tmp_path / "jar.csv").stat().st_mode & 0o077 == 0
    with (tmp_path / "jar.csv").open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter=";"))
    assert table[0][:3] == ["navn", "epost", "kjønn"]
    assert sorted(row[0] for row in table[1:]) == ["Kari Nordmann", "Åse Ødegård"]

    export_participants(db, actor=ADMIN, filter=RosterFilter(), path=tmp_path / "all.xlsx")
    sheet = load_workbook(tmp_path / "all.xlsx").active
    values = list(sheet.values)
    assert len(values) == 4 and values[0][0] == "navn"
    assert any(isinstance(row[3], int) for row in values[1:])

    with pytest.raises(PanelError, match="exists"):
        export_participants(db, actor=ADMIN, filter=RosterFilter(), path=tmp_path / "all.xlsx")
    make_staff(db, key, "ed", Role.editor)
    with pytest.raises(PermissionDenied):
        export_participants(
            db, actor=actor_for(db, "ed"), filter=RosterFilter(), path=tmp_path / "ed.csv"
        )
    with db.read() as session:
        exported = session.exec(
            select(AuditEvent).where(AuditEvent.action == "participants.exported")
        ).all()
    assert [e.detail["count"] for e in exported] == [2, 3]
