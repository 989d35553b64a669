"""The login screen: username, password and a 6-digit code, with Enter to move on or submit."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Footer, Header, Input, Label, Static

from ..i18n import _
from .base import PanelScreen


class LoginScreen(PanelScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        # A priority binding moves focus before the next key is read, so typing ahead works.
        Binding("enter", "next_or_submit", _("Next / log in"), priority=True),
    ]
    AUTO_FOCUS = "#username"

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(id="login-box"):
            yield Static(_("Log in to Innbyggerpanelet"), id="login-title")
            with Horizontal(classes="field"):
                yield Label(_("Username"))
                yield Input(id="username", max_length=32)
            with Horizontal(classes="field"):
                yield Label(_("Password"))
                yield Input(id="password", password=True, max_length=1024)
            with Horizontal(classes="field"):
                yield Label(_("Code"))
                yield Input(id="code", max_length=16, placeholder=_("6 digits from your app"))
            yield Static("", id="login-error")
            yield Button(_("Log in"), id="login-submit", variant="primary")
            if self.panel.login_hint:
                yield Static(self.panel.login_hint, id="login-hint", markup=False)
        yield Footer()

    def on_screen_resume(self) -> None:
        for field in self.query(Input):
            field.value = ""
            field.disabled = False
        self.query_one("#login-submit", Button).disabled = False
        self.query_one("#username", Input).focus()

    def action_next_or_submit(self) -> None:
        fields = list(self.query(Input))
        focused = self.focused
        if isinstance(focused, Input) and focused in fields:
            position = fields.index(focused)
            if position < len(fields) - 1 and not fields[position + 1].value:
                self.set_focus(fields[position + 1])
                return
            # Keys typed before this Enter may still wait in the field's queue: submit after them.
            focused.call_later(self.action_submit)
            return
        self.action_submit()

    @on(Button.Pressed, "#login-submit")
    def action_submit(self) -> None:
        username, password, code = (field.value for field in self.query(Input))
        if not (username.strip() and password and code.strip()):
            self._show_error(_("Fill in username, password and code."))
            return
        self._set_busy(True)
        self.query_one("#login-error", Static).update(_("Checking…"))

        def check(backend):
            from store.auth import authenticate

            return authenticate(
                backend.db, backend.key, username=username, password=password, code=code
            )

        self.store(check, self._accepted, failed=self._refused, group="login")

    async def _accepted(self, actor) -> None:
        self.query_one("#login-error", Static).update("")
        await self.panel.logged_in(actor)

    def _refused(self, _exc: Exception) -> None:
        self._set_busy(False)
        self.query_one("#password", Input).value = ""
        self.query_one("#code", Input).value = ""
        self._show_error(
            _(
                "Login failed. Check the username, password and code. "
                "After 5 failed attempts the account is locked for 15 minutes."
            )
        )
        self.query_one("#password", Input).focus()

    def _show_error(self, message: str) -> None:
        error = self.query_one("#login-error", Static)
        error.update(message)
        error.add_class("error")

    def _set_busy(self, busy: bool) -> None:
        for field in self.query(Input):
            field.disabled = busy
        self.query_one("#login-submit", Button).disabled = busy
