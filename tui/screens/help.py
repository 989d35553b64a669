"""Help: every key the app answers to, the app's own first, then the screen's beneath."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from ..i18n import _
from .base import PanelModal


class HelpScreen(PanelModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "dismiss", _("Close"), id="close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box", classes="dialog"):
            yield Static(_("Keys"), classes="dialog-title")
            table: DataTable = DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            table.add_columns(_("Key"), _("Does"), _("Where"))
            yield table
            yield Static(
                _("Ctrl+P opens the command palette: type part of any command's name."),
                classes="hint",
            )
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        underneath = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        seen: set[str] = set()
        sources = [(_("everywhere"), self.app)]
        if underneath is not None:
            sources.append((_("this screen"), underneath))
        for where, node in sources:
            for key, binding in node._bindings:
                if key in seen or not binding.description:
                    continue
                seen.add(key)
                table.add_row(self.app.get_key_display(binding), binding.description, where)
        table.add_row("ctrl+p", _("Command palette"), _("everywhere"))
        table.add_row("tab / shift+tab", _("Next / previous field"), _("everywhere"))
