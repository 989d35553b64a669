"""Asks for one line of text — a file on the server (~ allowed), an address — or None."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Input, Label, Static

from ..i18n import _
from .base import PanelModal


class TextPrompt(PanelModal["str | None"]):
    """One line of text, given back stripped; None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="path-cancel"),
    ]

    def __init__(self, title: str, hint: str, default: str, field: str = "") -> None:
        super().__init__()
        self.title_text, self.hint, self.default = title, hint, default
        self.field = field

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(self.title_text, classes="dialog-title")
            with Horizontal(classes="field"):
                yield Label(self.field_label())
                yield Input(self.default, id="path")
            yield Static(self.hint, classes="hint")
            yield Static("", classes="form-error", id="path-error")
            with Horizontal(classes="buttons"):
                yield Button(_("OK"), id="ok", variant="primary")
                yield Button(_("Cancel"), id="cancel")
        yield Footer()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _chosen(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.query_one("#path-error", Static).update(_("Fill this in, or press Escape."))
            return
        self.dismiss(self.result(text))

    def field_label(self) -> str:
        return self.field or _("Text")

    def result(self, text: str):
        return text

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PathPrompt(TextPrompt):
    """A file on the server, given back as a Path with ~ expanded."""

    def field_label(self) -> str:
        return _("File")

    def result(self, text: str) -> Path:
        return Path(text).expanduser()
