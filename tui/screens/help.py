"""Help: every key the app answers to, the app's own first, then the screen's beneath."""

from __future__ import annotations

from dataclasses import replace
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
        stack = self.app.screen_stack
        underneath = stack[-2] if len(stack) > 1 else None
        seen: set[str] = set()
        rows: list[tuple[str, Binding, str]] = []
        if underneath is not None:
            # The screen's own keys first, then the app's, then the generic ones of every screen.
            rows += [(key, b, _("this screen")) for key, b in _own(type(underneath))]
        rows += [(key, b, _("everywhere")) for key, b in self.app._bindings]
        if underneath is not None:
            rows += [(key, b, _("this screen")) for key, b in underneath._bindings]
        for key, binding, where in rows:
            if key in seen or not binding.description:
                continue
            seen.add(key)
            display = self.app.get_key_display(replace(binding, key=key))
            table.add_row(display, binding.description, where)


def _own(screen_type: type) -> list[tuple[str, Binding]]:
    """The bindings a screen class declares itself, each key split out."""
    pairs = []
    for item in screen_type.__dict__.get("BINDINGS", []):
        binding = item if isinstance(item, Binding) else Binding(*item)
        for key in binding.key.split(","):
            pairs.append((key.strip(), binding))
    return pairs
