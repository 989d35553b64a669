"""The import dialog through Pilot: type a path, read the report, import or cancel."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Button, DataTable, Input, Select, Static

from store.models import AuditEvent, Participant
from tui.screens.import_dialog import ImportDialog

from .conftest import log_in, settle

SIZE = (100, 30)
FILE = (
    "\ufeffNavn;E-post;Bosted\r\n"
    "Åse Ødegård;ase@example.no;Jar\r\n"
    "Ola;ola@;Jar\r\n"
    "Kari;kari@example.no;Narnia\r\n"
    "Per;p0@x.no;\r\n"
)


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def open_dialog(pilot, results: list) -> ImportDialog:
    dialog = ImportDialog()
    pilot.app.push_screen(dialog, results.append)
    await settle(pilot)
    assert pilot.app.screen is dialog
    return dialog


async def check(pilot, dialog: ImportDialog, path) -> None:
    dialog.query_one("#import-path", Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)


def names(world) -> list[str]:
    with world.backend.db.read() as session:
        return sorted(p.name for p in session.exec(select(Participant)))


async def test_report_then_import(world, tmp_path):
    path = tmp_path / "deltakere.csv"
    path.write_bytes(FILE.encode("utf-8"))
    results: list = []
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        dialog = await open_dialog(pilot, results)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "check the file first" in text_of(dialog, "#import-error")
        await check(pilot, dialog, path)
        summary = text_of(dialog, "#import-summary")
        assert "read as UTF-8 with BOM, cells separated by semicolons" in summary
        assert "4 rows in the file:" in summary
        table = dialog.query_one("#import-bad", DataTable)
        assert [table.get_row_at(i)[:2] for i in range(table.row_count)] == [
            ["3", "email"],
            ["4", "district"],
        ]
        assert not dialog.query_one("#import", Button).disabled
        assert names(world) == ["P 0", "P 1", "P 2", "P 3"]  # nothing written yet

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is not dialog
    [result] = results
    assert (result.added, result.skipped, result.bad_rows) == (1, 1, 2)
    assert "Åse Ødegård" in names(world)
    with world.backend.db.read() as session:
        actions = list(session.exec(select(AuditEvent.action)))
    assert actions.count("participants.imported") == 1


async def test_refused_file_and_cancel(world, tmp_path):
    results: list = []
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        dialog = await open_dialog(pilot, results)
        await check(pilot, dialog, tmp_path / "missing.csv")
        assert "does not exist" in text_of(dialog, "#import-error")
        assert dialog.query_one("#import", Button).disabled
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is not dialog
    assert results == [None]


async def test_update_mode_and_many_bad_rows(world, tmp_path):
    path = tmp_path / "mange.csv"
    lines = ["name,email"] + [f"P {n},bad-{n}" for n in range(60)] + ["Changed,P1@x.no"]
    path.write_text("\n".join(lines), encoding="utf-8")
    results: list = []
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.admin)
        dialog = await open_dialog(pilot, results)
        await check(pilot, dialog, path)
        assert dialog.query_one("#import", Button).disabled  # the one good row is there already
        assert dialog.query_one("#import-bad", DataTable).row_count == 50
        assert text_of(dialog, "#import-more") == "10 more problems not shown."
        dialog.query_one("#import-duplicates", Select).value = "update"
        await settle(pilot)
        assert "to update:" in text_of(dialog, "#import-summary")
        assert not dialog.query_one("#import", Button).disabled
        await pilot.click("#import")
        await settle(pilot)
    [result] = results
    assert result.updated == 1
    assert "Changed" in names(world)


async def test_analyst_is_refused(world, tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(FILE.encode("utf-8"))
    results: list = []
    async with world.app().run_test(size=SIZE) as pilot:
        await log_in(pilot, world.analyst)
        dialog = await open_dialog(pilot, results)
        await check(pilot, dialog, path)
        assert "needs the admin or editor role" in text_of(dialog, "#import-error")
