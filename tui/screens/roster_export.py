"""Exporting the roster's current selection to a file on the server (admins only)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Input, Label, Static

from ..i18n import _
from .base import PanelModal


class ExportScreen(PanelModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", _("Cancel"), id="export-cancel"),
    ]

    def __init__(self, filter) -> None:
        super().__init__()
        self.filter = filter

    def compose(self) -> ComposeResult:
        default = Path.home() / f"deltakere-{date.today().isoformat()}.csv"
        with Vertical(classes="dialog"):
            yield Static(_("Export the participants shown"), classes="dialog-title")
            yield Static(
                _(
                    "The file holds personal data: keep it safe and delete it when done. "
                    "The export is written to the audit log."
                )
            )
            with Horizontal(classes="field"):
                yield Label(_("File"))
                yield Input(str(default), id="export-path")
            yield Static(_("A name ending in .csv (for Excel) or .xlsx."), classes="hint")
            yield Static("", classes="form-error", id="export-error")
            with Horizontal(classes="buttons"):
                yield Button(_("Export"), id="export", variant="primary")
                yield Button(_("Cancel"), id="cancel")
        yield Footer()

    @on(Input.Submitted)
    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        from store.exporting import export_participants

        path = Path(self.query_one("#export-path", Input).value.strip()).expanduser()
        f = self.filter

        def export(backend):
            return export_participants(backend.db, actor=self.actor, filter=f, path=path)

        def done(count: int) -> None:
            self.notify(
                _("Exported {count} participants to {path}.").format(count=count, path=path)
            )
            self.dismiss(None)

        def refused(exc: Exception) -> None:
            self.query_one("#export-error", Static).update(str(exc))

        self.store(export, done, failed=refused)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
