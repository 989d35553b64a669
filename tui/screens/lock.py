"""The idle lock: the app stays open but asks for a fresh TOTP code before going on."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Button, Footer, Input, Label, Static

from ..i18n import _
from .base import PanelModal


class LockScreen(PanelModal[bool]):
    """Dismisses with False when unlocked, True when the user chose to log out instead."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f12", "logout", _("Log out"), id="lock-logout"),
    ]
    AUTO_FOCUS = "#unlock-code"

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box", classes="dialog"):
            yield Static(_("Locked"), classes="dialog-title")
            yield Label(
                _("{user}: enter a fresh code from your authenticator app.").format(
                    user=self.actor.username
                )
            )
            yield Input(id="unlock-code", max_length=16, placeholder="123456")
            yield Static("", id="lock-error")
            yield Button(_("Unlock"), id="unlock", variant="primary")
        yield Footer()

    @on(Input.Submitted)
    @on(Button.Pressed, "#unlock")
    def _submit(self) -> None:
        code = self.query_one("#unlock-code", Input).value.strip()
        if not code:
            return
        self.query_one("#lock-error", Static).update(_("Checking…"))

        def confirm(backend):
            from store.auth import confirm_code

            return confirm_code(backend.db, backend.key, actor=self.actor, code=code)

        self.store(confirm, self._checked, group="unlock")

    def _checked(self, ok: bool) -> None:
        if ok:
            self.dismiss(False)
            return
        field = self.query_one("#unlock-code", Input)
        field.value = ""
        field.focus()
        self.query_one("#lock-error", Static).update(
            _("That code was not accepted. Wait for the next code and try again.")
        )

    def action_logout(self) -> None:
        self.dismiss(True)
