"""Dialogs for staff accounts: a new account's details, a password, and the one-time enrolment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Select, Static

from ..i18n import _
from ..labels import label
from ..qr import qr_text
from .base import PanelModal

if TYPE_CHECKING:
    from store.staff import Enrolment

ROLES = ("editor", "analyst", "admin")


@dataclass(frozen=True)
class NewStaff:
    username: str
    role: str
    password: str


class _Form(PanelModal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="cancel"),
        Binding("ctrl+s", "save", _("Save"), id="save"),
    ]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _error(self, message: str) -> None:
        self.query_one(".form-error", Static).update(message)

    def _passwords(self) -> str | None:
        password = self.query_one("#password", Input).value
        if password != self.query_one("#repeat", Input).value:
            self._error(_("The two passwords differ."))
            return None
        if len(password) < 12:
            self._error(_("The password must have at least 12 characters."))
            return None
        return password

    @on(Input.Submitted)
    def _next_or_save(self, event: Input.Submitted) -> None:
        fields = list(self.query(Input))
        position = fields.index(event.input)
        if position < len(fields) - 1:
            fields[position + 1].focus()
        else:
            self.action_save()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def _buttons(self) -> ComposeResult:
        yield Static("", classes="form-error")
        with Horizontal(classes="buttons"):
            yield Button(_("Save"), id="save", variant="primary")
            yield Button(_("Cancel"), id="cancel")

    def action_save(self) -> None:
        raise NotImplementedError


class AddStaffForm(_Form):
    """Returns a `NewStaff`, or None when cancelled."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("New staff member"), classes="dialog-title")
            yield Label(_("Username"))
            yield Input(id="username", max_length=32)
            yield Label(_("Role"))
            yield Select(
                [(label(role), role) for role in ROLES],
                id="role",
                value="editor",
                allow_blank=False,
            )
            yield Label(_("Password (at least 12 characters)"))
            yield Input(id="password", password=True)
            yield Label(_("Repeat the password"))
            yield Input(id="repeat", password=True)
            yield from self._buttons()
        yield Footer()

    def action_save(self) -> None:
        username = self.query_one("#username", Input).value.strip()
        if not username:
            self._error(_("Give a username."))
            return
        password = self._passwords()
        if password is None:
            return
        role = str(self.query_one("#role", Select).value)
        self.dismiss(NewStaff(username, role, password))


class PasswordForm(_Form):
    """Returns the new password, or None when cancelled."""

    def __init__(self, username: str) -> None:
        super().__init__()
        self.username = username

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                _("New password for {user}").format(user=self.username), classes="dialog-title"
            )
            yield Label(_("Password (at least 12 characters)"))
            yield Input(id="password", password=True)
            yield Label(_("Repeat the password"))
            yield Input(id="repeat", password=True)
            yield from self._buttons()
        yield Footer()

    def action_save(self) -> None:
        password = self._passwords()
        if password is not None:
            self.dismiss(password)


class EnrolmentScreen(PanelModal[None]):
    """Shows a new TOTP secret and recovery codes once; they are never shown again."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "dismiss", _("Done"), id="done"),
    ]

    def __init__(self, enrolment: Enrolment) -> None:
        super().__init__()
        self.enrolment = enrolment

    def compose(self) -> ComposeResult:
        e = self.enrolment
        with VerticalScroll(classes="dialog wide"):
            yield Static(
                _("Authenticator for {user}").format(user=e.username), classes="dialog-title"
            )
            yield Static(
                _(
                    "Scan the code with an authenticator app, or type the secret. "
                    "This is shown once only."
                )
            )
            yield Static(qr_text(e.uri), id="qr", markup=False)
            yield Static(_("Secret: {secret}").format(secret=e.secret), id="secret", markup=False)
            yield Static(e.uri, id="uri", markup=False)
            yield Static(_("Recovery codes, each usable once in place of a code:"))
            yield Static("\n".join(e.recovery_codes), id="recovery", markup=False)
        yield Footer()
