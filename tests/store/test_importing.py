"""Importing participants from CSV and XLSX files, on both engines."""

from __future__ import annotations

import json
import random
import unicodedata

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlmodel import col, select

from store.actors import Actor
from store.errors import PermissionDenied
from store.importing import FileRefused, apply_import, plan_import
from store.models import AuditEvent, Interest, Participant, ParticipantInterest
from store.participants import ParticipantInput, create_participant, set_status
from store.roles import Role
from store.timeutil import utcnow
from tests.factories import actor_for, make_staff

ADMIN = Actor.operator()
YEAR = utcnow().year


def write(tmp_path, name: str, text: str, *, encoding="utf-8", newline="\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def import_file(db, path, **kwargs):
    plan = plan_import(db, actor=ADMIN, path=path, **kwargs)
    return plan, apply_import(db, actor=ADMIN, plan=plan)


def people(db) -> dict[str, Participant]:
    with db.read() as session:
        return {p.email_key: p for p in session.exec(select(Participant))}


def interests_of(db, email_key: str) -> list[str]:
    with db.read() as session:
        return list(
            session.exec(
                select(Interest.name)
                .join(ParticipantInterest, col(ParticipantInterest.interest_id) == Interest.id)
                .join(Participant, col(Participant.id) == ParticipantInterest.participant_id)
                .where(Participant.email_key == email_key)
                .order_by(Interest.name)
            )
        )


def count(db, model) -> int:
    with db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def problems(plan) -> list[tuple[int, str]]:
    return [(bad.line, bad.field) for bad in plan.bad]


@pytest.fixture
def topics(db):
    with db.write() as session:
        session.add_all(
            [Interest(name="Klima og miljø"), Interest(name="Samferdsel"), Interest(name="Skole")]
        )


EXCEL_CSV = """Navn;E-post;Kjønn;Fødselsår;Bosted;Interesser;Kilde;Språk
Åse Ødegård;ase@example.no;kvinne;1985;Jar;klima og miljø|Skole;Facebook;nb
Ørjan Bæk;ORJAN@Example.no;M;1950;bærums verk;Samferdsel, skole;;engelsk
"""


def test_excel_norwegian_csv_with_bom_semicolons_and_crlf(db, topics, tmp_path):
    path = write(tmp_path, "deltakere.csv", EXCEL_CSV, encoding="utf-8-sig", newline="\r\n")
    plan, result = import_file(db, path)
    assert (plan.encoding, plan.delimiter, plan.kind) == ("UTF-8 with BOM", ";", "csv")
    assert (plan.rows_total, plan.to_add, plan.bad) == (2, 2, ())
    assert (result.added, result.updated, result.skipped) == (2, 0, 0)
    found = people(db)
    ase = found["ase@example.no"]
    assert (ase.name, ase.gender, ase.birth_year, ase.district) == ("Åse Ødegård", "female", 1985,
                                                                     "Jar")  # fmt: skip
    assert (ase.status, ase.source, ase.language) == ("active", "Facebook", "nb")
    assert ase.consent_version == "import" and ase.consent_note == "import: deltakere.csv"
    assert ase.consent_at is not None and ase.confirmed_at is not None
    orjan = found["orjan@example.no"]
    assert (orjan.name, orjan.email, orjan.gender) == ("Ørjan Bæk", "ORJAN@example.no", "male")
    assert (orjan.district, orjan.language) == ("Bærums Verk", "en")
    assert orjan.source == "import: deltakere.csv"
    assert interests_of(db, "ase@example.no") == ["Klima og miljø", "Skole"]
    assert interests_of(db, "orjan@example.no") == ["Samferdsel", "Skole"]


def test_comma_separated_english_headers(db, topics, tmp_path):
    text = (
        " Name , EMAIL,gender,birth_year,district,interests,source,language\n"
        'Kari Nordmann,kari@example.no,female,1990,Sandvika,"Skole;samferdsel",web,en\n'
        "Per Hansen,per@example.no,,,,Klima og miljø|Skole,,\n"
    )
    plan, result = import_file(db, write(tmp_path, "people.csv", text))
    assert (plan.encoding, plan.delimiter, plan.warnings) == ("UTF-8", ",", ())
    assert result.added == 2
    per = people(db)["per@example.no"]
    assert (per.gender, per.birth_year, per.district, per.language) == (None, None, None, "nb")
    assert interests_of(db, "kari@example.no") == ["Samferdsel", "Skole"]
    assert interests_of(db, "per@example.no") == ["Klima og miljø", "Skole"]


def test_tab_separated_utf16_from_excel(db, tmp_path):
    text = "navn\tepost\tbosted\nÆsa Lie\taesa@example.no\tØsterås\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.encode("utf-16"))
    plan, result = import_file(db, path)
    assert (plan.encoding, plan.delimiter, result.added) == ("UTF-16", "\t", 1)
    assert people(db)["aesa@example.no"].district == "Østerås"


def test_latin1_file_is_detected_and_read_right(db, tmp_path):
    text = "navn;epost;bosted\nBjørn Ærøy;bjorn@example.no;Høvik\nÅsa Søvik;asa@example.no;\n"
    plan, result = import_file(db, write(tmp_path, "gammel.csv", text, encoding="cp1252"))
    assert plan.encoding == "Windows-1252 (Latin-1)"
    assert result.added == 2
    found = people(db)
    assert found["bjorn@example.no"].name == "Bjørn Ærøy"
    assert found["bjorn@example.no"].district == "Høvik"
    assert found["asa@example.no"].name == "Åsa Søvik"


def test_decomposed_letters_from_a_mac_match_the_known_names(db, tmp_path):
    text = unicodedata.normalize("NFD", "Navn;E-post;Språk;Bosted\nÅse;ase@example.no;en;Østerås\n")
    plan, result = import_file(db, write(tmp_path, "mac.csv", text))
    assert (plan.warnings, result.added) == ((), 1)
    ase = people(db)["ase@example.no"]
    assert (ase.name, ase.district, ase.language) == ("Åse", "Østerås", "en")


def test_duplicates_in_the_file_differ_only_in_case(db, tmp_path):
    text = "navn;epost\nOla;ola@example.no\nOla igjen;OLA@EXAMPLE.NO\nKari;kari@example.no\n"
    plan, result = import_file(db, write(tmp_path, "d.csv", text))
    assert [(b.line, b.field, b.reason) for b in plan.bad] == [
        (3, "email", "the same address as line 2")
    ]
    assert (plan.to_add, plan.bad_rows, result.added) == (2, 1, 2)
    assert people(db)["ola@example.no"].name == "Ola"


def test_addresses_already_on_the_panel_are_skipped_by_default(db, tmp_path):
    create_participant(db, actor=ADMIN, data=ParticipantInput(name="Kari", email="Kari@Example.no"))
    text = "navn;epost\nKari Ny;KARI@example.NO\nPer;per@example.no\n"
    plan, result = import_file(db, write(tmp_path, "d.csv", text))
    assert (plan.to_add, plan.to_skip, plan.bad) == (1, 1, ())
    assert (result.added, result.skipped) == (1, 1)
    assert people(db)["kari@example.no"].name == "Kari"


def test_bad_rows_name_line_field_and_reason_and_blank_lines_keep_the_count(db, tmp_path):
    text = (
        "navn,epost,kjønn,fødselsår,bosted\n"
        "\n"
        "Ola,ola@,mann,1980,Jar\n"  # line 3
        ",,,,\n"  # line 4: blank cells, skipped silently
        "\n"
        ",noname@example.no,,,\n"  # line 6
        "Kari,kari@example.no,kvinne,1880,Oslo\n"  # line 7
        "Per,per@example.no,x,,\n"  # line 8
        "Good,good@example.no,,,\n"  # line 9
        "Too,many@example.no,,,,extra\n"  # line 10
        "Few,few@example.no\n"  # line 11
    )
    plan, result = import_file(db, write(tmp_path, "bad.csv", text, newline="\r\n"))
    assert plan.rows_total == 7
    assert problems(plan) == [
        (3, "email"),
        (6, "name"),
        (7, "birth_year"),
        (7, "district"),
        (8, "gender"),
        (10, "row"),
        (11, "row"),
    ]
    reasons = {(b.line, b.field): b.reason for b in plan.bad}
    assert "'ola@' is not a valid address" in reasons[3, "email"]
    assert reasons[6, "name"] == "is missing"
    assert reasons[7, "district"] == "'Oslo' is not a known district"
    assert reasons[10, "row"] == "has 6 cells; the header has 5"
    assert reasons[11, "row"] == "has 2 cells; the header has 5"
    assert (plan.bad_rows, plan.to_add, result.added) == (6, 1, 1)
    assert set(people(db)) == {"good@example.no"}


def test_age_instead_of_birth_year(db, tmp_path):
    text = "navn;epost;alder\nUng;ung@example.no;17\nGammel;gammel@example.no;1950\n"
    plan, result = import_file(db, write(tmp_path, "alder.csv", text))
    assert result.added == 1
    assert people(db)["ung@example.no"].birth_year == YEAR - 17
    assert problems(plan) == [(3, "age")]


def test_unknown_districts_and_interests_are_bad_rows(db, topics, tmp_path):
    text = (
        "name;email;district;interests\n"
        "A;a@example.no;Narnia;\n"
        "B;b@example.no;jar;Skole|Fotball\n"
        "C;c@example.no;JAR;SKOLE\n"
    )
    plan, _result = import_file(db, write(tmp_path, "x.csv", text))
    assert [(b.line, b.field, b.reason) for b in plan.bad] == [
        (2, "district", "'Narnia' is not a known district"),
        (3, "interests", "'Fotball': not a known interest"),
    ]
    assert people(db)["c@example.no"].district == "Jar"
    assert interests_of(db, "c@example.no") == ["Skole"]


def test_unknown_columns_are_one_warning(db, tmp_path):
    text = "navn;epost;telefon;notat;status\nOla;ola@example.no;123;hei;paused\n"
    plan, result = import_file(db, write(tmp_path, "w.csv", text))
    assert plan.warnings[0] == "unknown columns ignored: telefon, notat"
    assert "status column is ignored" in plan.warnings[1]
    assert len(plan.warnings) == 2
    assert result.added == 1 and people(db)["ola@example.no"].status == "active"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\r\n\r\n  \n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 8,
         "is not a CSV or XLSX file"),
        (random.Random(3).randbytes(4000), "is not a CSV or XLSX file"),
        (b"PK\x03\x04 not really a zip at all", "is not a CSV or XLSX file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old .xls"),
        (b"name;phone\nOla;123\n", "no email column in the header (line 1); expected the "
         "columns name/navn, email/epost"),
        (b"epost;telefon\nola@example.no;123\n", "no name column"),
    ],
)  # fmt: skip
def test_files_that_cannot_be_imported_are_refused_in_one_line(db, tmp_path, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(FileRefused) as refused:
        plan_import(db, actor=ADMIN, path=path)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_missing_file_or_a_folder_is_refused(db, tmp_path):
    with pytest.raises(FileRefused, match="does not exist"):
        plan_import(db, actor=ADMIN, path=tmp_path / "nowhere.csv")
    with pytest.raises(FileRefused, match="is a folder"):
        plan_import(db, actor=ADMIN, path=tmp_path)


def test_a_file_with_only_headers_has_nothing_to_import(db, tmp_path):
    plan, result = import_file(db, write(tmp_path, "h.csv", "\ufeffnavn;epost\r\n\r\n"))
    assert (plan.rows_total, plan.anything_to_import, result.added) == (0, False, 0)


def test_excel_sep_line_and_a_quote_left_open(db, tmp_path):
    text = (
        'sep=,\nnavn,epost\n"Ola; Nordmann",ola@example.no\n"Kari,k@example.no\nPer,p@example.no\n'
    )
    plan = plan_import(db, actor=ADMIN, path=write(tmp_path, "s.csv", text))
    assert plan.delimiter == "," and plan.to_add == 1
    assert problems(plan) == [(4, "row")]  # the open quote swallows the rest into one cell


def test_xlsx_workbook(db, topics, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(["Navn", "E-post", "Fødselsår", "Bosted", "Interesser", None])
    sheet.append(["Åse Ødegård", "ase@example.no", 1985.0, "Jar", "Skole, Samferdsel", None])
    sheet.append([None, None, None, None])
    sheet.append(["Ola", "ola@example.no", None, None, None, None])
    sheet.append(["Ingen", "ingen@", 45, None, None, None])
    sheet.append(["Ørjan", "orjan@example.no", 40, "Fornebu", "Klima og miljø", None])
    book.save(tmp_path / "deltakere.xlsx")
    plan, result = import_file(db, tmp_path / "deltakere.xlsx")
    assert (plan.kind, plan.encoding, plan.delimiter) == ("xlsx", None, None)
    assert (plan.rows_total, result.added) == (4, 3)
    assert problems(plan) == [(6, "email")]
    found = people(db)
    assert found["ase@example.no"].birth_year == 1985
    assert found["ola@example.no"].birth_year is None
    assert found["orjan@example.no"].birth_year == YEAR - 40
    assert interests_of(db, "ase@example.no") == ["Samferdsel", "Skole"]


def test_a_csv_named_xlsx_and_an_xlsx_named_csv_are_read_by_content(db, tmp_path):
    book = Workbook()
    book.active.append(["name", "email"])
    book.active.append(["Ola", "ola@example.no"])
    book.save(tmp_path / "really-a-workbook.csv")
    assert plan_import(db, actor=ADMIN, path=tmp_path / "really-a-workbook.csv").kind == "xlsx"
    path = write(tmp_path, "really-text.xlsx", "name,email\nOla,ola@example.no\n")
    assert plan_import(db, actor=ADMIN, path=path).kind == "csv"


def test_reimporting_the_same_file_changes_nothing(db, topics, tmp_path):
    path = write(tmp_path, "d.csv", EXCEL_CSV, encoding="utf-8-sig", newline="\r\n")
    import_file(db, path)
    before = {key: p.updated_at for key, p in people(db).items()}
    plan, result = import_file(db, path)
    assert (plan.to_add, result.added, result.skipped) == (0, 0, 2)
    plan, result = import_file(db, path, on_duplicate="update")
    assert (plan.to_update, plan.unchanged) == (0, 2)
    assert (result.added, result.updated, result.unchanged) == (0, 0, 2)
    assert {key: p.updated_at for key, p in people(db).items()} == before


def test_update_changes_fields_from_the_file_and_keeps_status(db, topics, tmp_path):
    first = "navn;epost;kjønn;fødselsår;bosted;interesser;kilde\n" + (
        "Kari;kari@example.no;kvinne;1980;Jar;Skole;Facebook\nPer;per@example.no;mann;1970;;;\n"
    )
    import_file(db, write(tmp_path, "a.csv", first))
    kari_id = people(db)["kari@example.no"].id
    set_status(db, actor=ADMIN, participant_id=kari_id, status="paused")
    second = "navn;epost;kjønn;fødselsår;bosted;interesser;kilde\n" + (
        "Kari Nordmann;KARI@example.no;;1981;;Samferdsel|Klima og miljø;\n"
        "Per;per@example.no;mann;1970;;;\n"
        "Nina;nina@example.no;;;;;\n"
    )
    plan, result = import_file(db, write(tmp_path, "b.csv", second), on_duplicate="update")
    assert (plan.to_add, plan.to_update, plan.unchanged) == (1, 1, 1)
    assert (result.added, result.updated, result.unchanged) == (1, 1, 1)
    kari = people(db)["kari@example.no"]
    assert (kari.name, kari.email, kari.birth_year) == ("Kari Nordmann", "KARI@example.no", 1981)
    # Blank cells leave what is stored; status and consent stay as they were.
    assert (kari.gender, kari.district, kari.source) == ("female", "Jar", "Facebook")
    assert (kari.status, kari.consent_note) == ("paused", "import: a.csv")
    assert interests_of(db, "kari@example.no") == ["Klima og miljø", "Samferdsel"]
    skipped = plan_import(db, actor=ADMIN, path=tmp_path / "b.csv")
    assert (skipped.to_add, skipped.to_skip) == (0, 3)


def test_an_erased_participant_is_never_matched(db, tmp_path):
    with db.write() as session:
        session.add(Participant(name=None, email=None, email_key=None, status="erased"))
    text = "navn;epost\nOla;ola@example.no\n"
    plan, result = import_file(db, write(tmp_path, "e.csv", text), on_duplicate="update")
    assert (plan.to_add, plan.to_update, result.added) == (1, 0, 1)
    with db.read() as session:
        erased = session.exec(select(Participant).where(Participant.status == "erased")).one()
    assert erased.name is None and erased.email_key is None


def test_planning_writes_nothing(db, topics, tmp_path):
    path = write(tmp_path, "d.csv", EXCEL_CSV)
    before = (count(db, Participant), count(db, ParticipantInterest), count(db, AuditEvent))
    plan = plan_import(db, actor=ADMIN, path=path)
    assert plan.to_add == 2
    after = (count(db, Participant), count(db, ParticipantInterest), count(db, AuditEvent))
    assert after == before


def test_analysts_may_not_import_and_editors_may(db, key, tmp_path):
    make_staff(db, key, "ana", Role.analyst)
    make_staff(db, key, "eddie", Role.editor)
    path = write(tmp_path, "d.csv", "navn;epost\nOla;ola@example.no\n")
    analyst = actor_for(db, "ana")
    with pytest.raises(PermissionDenied):
        plan_import(db, actor=analyst, path=path)
    plan = plan_import(db, actor=actor_for(db, "eddie"), path=path)
    with pytest.raises(PermissionDenied):
        apply_import(db, actor=analyst, plan=plan)
    assert count(db, Participant) == 0
    assert apply_import(db, actor=actor_for(db, "eddie"), plan=plan).added == 1


def test_one_audit_event_with_counts_and_no_personal_data(db, tmp_path):
    text = "navn;epost\nÅse Ødegård;ase@example.no\nOla;ola@\n"
    import_file(db, write(tmp_path, "liste.csv", text))
    with db.read() as session:
        events = list(
            session.exec(select(AuditEvent).where(AuditEvent.action == "participants.imported"))
        )
    assert len(events) == 1
    assert events[0].detail == {
        "file": "liste.csv",
        "rows": 2,
        "added": 1,
        "updated": 0,
        "skipped": 0,
        "unchanged": 0,
        "bad_rows": 1,
        "on_duplicate": "skip",
    }
    written = json.dumps(events[0].detail, ensure_ascii=False)
    assert "ase@" not in written and "Ødegård" not in written and "ola@" not in written


def test_progress_is_reported_to_the_end(db, tmp_path):
    rows = "".join(f"P {n};p{n}@example.no\n" for n in range(2500))
    path = write(tmp_path, "p.csv", "navn;epost\n" + rows)
    seen: list[tuple[int, int]] = []
    plan = plan_import(db, actor=ADMIN, path=path, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (2500, 2500) and seen == sorted(seen)
    seen.clear()
    apply_import(db, actor=ADMIN, plan=plan, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_a_hundred_thousand_rows(db, topics, tmp_path):
    districts = ["Jar", "Sandvika", "Haslum", "Fornebu", "Østerås"]
    lines = ["navn;epost;kjønn;fødselsår;bosted;interesser"]
    for n in range(100_000):
        lines.append(
            f"Person Ødegård {n};person{n}@example.no;{'kvinne' if n % 2 else 'mann'};"
            f"{1940 + n % 60};{districts[n % 5]};{'Skole|Samferdsel' if n % 3 == 0 else ''}"
        )
    lines[50_001] = "Dup;PERSON7@example.no;;;;"  # line 50002 repeats line 9's address
    path = write(tmp_path, "stor.csv", "\n".join(lines) + "\n", encoding="utf-8-sig")
    plan, result = import_file(db, path)
    assert (plan.rows_total, plan.to_add) == (100_000, 99_999)
    assert [(b.line, b.reason) for b in plan.bad] == [(50_002, "the same address as line 9")]
    assert result.added == 99_999
    assert count(db, Participant) == 99_999
    assert count(db, ParticipantInterest) == 2 * len(range(0, 100_000, 3))
    again = plan_import(db, actor=ADMIN, path=path, on_duplicate="update")
    assert (again.to_add, again.to_update, again.unchanged) == (0, 0, 99_999)
