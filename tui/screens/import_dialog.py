"""Importing participants from a file on the server: check it, read the report, then import."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Input, Label, ProgressBar, Select, Static

from ..cli_import import plan_lines
from ..i18n import _, ngettext
from .base import PanelModal

if TYPE_CHECKING:
    from store.importing import ImportPlan, ImportResult

BAD_ROWS_SHOWN = 50


class ImportDialog(PanelModal["ImportResult | None"]):
    """Returns the `ImportResult`, or None when cancelled. Nothing is written before Import."""

    # The dialog grows to the screen's height when there are bad rows to list, so that the
    # list takes the room left and the buttons stay in view even at 80×24.
    DEFAULT_CSS = """
    ImportDialog #import-box.with-bad-rows { height: 100%; }
    ImportDialog #import-summary { margin-top: 1; }
    ImportDialog #import-bad { height: 1fr; min-height: 3; }
    ImportDialog #import-progress { margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="import-cancel"),
        Binding("ctrl+s", "import", _("Import"), id="import-confirm"),
    ]

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.initial_path = path
        self.plan: ImportPlan | None = None
        self.busy = ""  # "checking" or "importing" while a store call runs
        self.generation = 0  # a newer check makes an older one's report stale

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="import-box"):
            yield Static(_("Import participants"), classes="dialog-title")
            yield Static(_("A CSV or XLSX file on the server. Enter checks it, Ctrl+S imports."))
            with Horizontal(classes="field"):
                yield Label(_("File"))
                yield Input(self.initial_path, id="import-path")
            with Horizontal(classes="field"):
                yield Label(_("Already there"))
                yield Select(
                    [
                        (_("skip them"), "skip"),
                        (_("update them from the file"), "update"),
                    ],
                    value="skip",
                    allow_blank=False,
                    id="import-duplicates",
                    compact=True,
                )
            yield Static("", id="import-summary", markup=False)
            table: DataTable = DataTable(id="import-bad", cursor_type="row", classes="hidden")
            table.add_columns(_("Line"), _("Field"), _("Problem"))
            yield table
            yield Static("", id="import-more", classes="hidden")
            yield ProgressBar(id="import-progress", show_eta=False, classes="hidden")
            yield Static("", classes="form-error", id="import-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(_("Import"), id="import", variant="primary", disabled=True)
                yield Button(_("Cancel"), id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()

    # Checking: the report

    @on(Input.Submitted, "#import-path")
    def action_check(self) -> None:
        if self.busy == "importing":
            return
        path = self.query_one("#import-path", Input).value.strip()
        if not path:
            self._error(_("Type the path of a CSV or XLSX file."))
            return
        from store.importing import plan_import

        file = Path(path).expanduser()
        mode = str(self.query_one("#import-duplicates", Select).value)
        self.generation += 1
        generation = self.generation
        self._forget_plan()
        self._error("")
        self.busy = "checking"
        self.query_one("#import-summary", Static).update(_("Checking {file}…").format(file=file))
        self._start_progress()
        actor = self.actor

        def check(backend):
            return plan_import(
                backend.db,
                actor=actor,
                path=file,
                on_duplicate=mode,
                progress=self._progress_from_thread,
            )

        self.store(
            check,
            lambda plan: self._show_plan(plan, generation),
            failed=lambda exc: self._check_failed(exc, generation),
            group="import",
        )

    @on(Input.Changed, "#import-path")
    def _path_changed(self, event: Input.Changed) -> None:
        if self.plan is not None and Path(event.value.strip()).expanduser() != self.plan.path:
            self._forget_plan()
            self.query_one("#import-summary", Static).update(_("Press Enter to check the file."))

    @on(Select.Changed, "#import-duplicates")
    def _mode_changed(self) -> None:
        if self.plan is not None:
            self.action_check()

    def _show_plan(self, plan: ImportPlan, generation: int) -> None:
        if generation != self.generation or not self.is_attached:
            return
        self.busy = ""
        self.plan = plan
        self._stop_progress()
        lines = plan_lines(plan, compact=True)
        if plan.rows_total and not plan.anything_to_import:
            lines.append(_("Nothing to import."))
        self.query_one("#import-summary", Static).update("\n".join(lines))
        table = self.query_one("#import-bad", DataTable)
        table.clear()
        for problem in plan.bad[:BAD_ROWS_SHOWN]:
            table.add_row(str(problem.line), problem.field, problem.reason)
        table.set_class(not plan.bad, "hidden")
        self.query_one("#import-box").set_class(bool(plan.bad), "with-bad-rows")
        more = self.query_one("#import-more", Static)
        hidden = len(plan.bad) - BAD_ROWS_SHOWN
        more.update(
            ngettext(
                "{count} more problem not shown.", "{count} more problems not shown.", hidden
            ).format(count=hidden)
        )
        more.set_class(hidden <= 0, "hidden")
        self.query_one("#import", Button).disabled = not plan.anything_to_import

    def _check_failed(self, exc: Exception, generation: int) -> None:
        if generation != self.generation or not self.is_attached:
            return
        self.busy = ""
        self._stop_progress()
        self.query_one("#import-summary", Static).update("")
        self._error(str(exc))

    def _forget_plan(self) -> None:
        self.plan = None
        self.query_one("#import", Button).disabled = True
        self.query_one("#import-bad", DataTable).add_class("hidden")
        self.query_one("#import-box").remove_class("with-bad-rows")
        self.query_one("#import-more", Static).add_class("hidden")

    # Importing

    def action_import(self) -> None:
        if self.busy:
            return
        plan = self.plan
        if plan is None:
            self._error(_("Press Enter to check the file first."))
            return
        if not plan.anything_to_import:
            self._error(_("Nothing to import."))
            return
        from store.importing import apply_import

        self.busy = "importing"
        self._error("")
        for widget in (self.query_one("#import-path"), self.query_one("#import-duplicates")):
            widget.disabled = True
        self.query_one("#import", Button).disabled = True
        self.query_one("#cancel", Button).disabled = True
        self._start_progress()
        actor = self.actor

        def apply(backend):
            return apply_import(
                backend.db, actor=actor, plan=plan, progress=self._progress_from_thread
            )

        self.store(apply, self._imported, failed=self._import_failed, group="import")

    def _imported(self, result: ImportResult) -> None:
        self.busy = ""
        self.dismiss(result)

    def _import_failed(self, exc: Exception) -> None:
        self.busy = ""
        self._stop_progress()
        for widget in (self.query_one("#import-path"), self.query_one("#import-duplicates")):
            widget.disabled = False
        self.query_one("#cancel", Button).disabled = False
        self._forget_plan()
        self._error(str(exc))

    @on(Button.Pressed, "#import")
    def _import_pressed(self) -> None:
        self.action_import()

    # Cancelling, progress, errors

    def action_cancel(self) -> None:
        if self.busy == "importing":
            self.notify(_("The import is running; it finishes in a moment."))
            return
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def _progress_from_thread(self, done: int, total: int) -> None:
        """Called by the store in the worker thread; the widgets are updated on the UI thread."""
        self.app.call_from_thread(self._show_progress, done, total)

    def _show_progress(self, done: int, total: int) -> None:
        if self.is_attached:
            self.query_one("#import-progress", ProgressBar).update(total=total, progress=done)

    def _start_progress(self) -> None:
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.remove_class("hidden")

    def _stop_progress(self) -> None:
        self.query_one("#import-progress", ProgressBar).add_class("hidden")

    def _error(self, message: str) -> None:
        self.query_one("#import-error", Static).update(message)
