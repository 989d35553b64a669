"""Staff accounts, for admins: add, disable, enable or unlock, reset TOTP, set a password."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from ..i18n import _
from ..labels import label, local_time
from .base import PanelScreen
from .confirm import ConfirmScreen
from .staff_forms import AddStaffForm, EnrolmentScreen, NewStaff, PasswordForm


class StaffAdminScreen(PanelScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", _("Add"), id="staff-add"),
        Binding("d", "disable", _("Disable"), id="staff-disable"),
        Binding("e", "enable", _("Enable/unlock"), id="staff-enable"),
        Binding("t", "reset", _("New TOTP"), id="staff-reset"),
        Binding("p", "password", _("Password"), id="staff-password"),
        Binding("r", "refresh", _("Refresh"), id="staff-refresh", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Staff"), classes="screen-title")
        table: DataTable = DataTable(id="staff", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("Username"), _("Role"), _("State"), _("Last login"), _("Created"))
        yield table
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        def rows(backend):
            from store.staff import list_staff

            return list_staff(backend.db, actor=self.actor)

        self.load(rows, self._show)

    def _show(self, staff) -> None:
        table = self.query_one("#staff", DataTable)
        selected = self._selected()
        table.clear()
        for member in staff:
            state = _("disabled") if member.disabled else _("active")
            if member.locked_until is not None and not member.disabled:
                state = _("locked until {time}").format(time=local_time(member.locked_until))
            table.add_row(
                member.username,
                label(member.role.value),
                state,
                local_time(member.last_login_at),
                local_time(member.created_at),
                key=member.username,
            )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected))

    def _selected(self) -> str | None:
        table = self.query_one("#staff", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_add(self) -> None:
        def created(new: NewStaff | None) -> None:
            if new is None:
                return

            def create(backend):
                from store.staff import create_staff, parse_role

                return create_staff(
                    backend.db,
                    backend.key,
                    actor=self.actor,
                    username=new.username,
                    role=parse_role(new.role),
                    password=new.password,
                )

            self.store(create, self._enrolled)

        self.app.push_screen(AddStaffForm(), created)

    def _enrolled(self, enrolment) -> None:
        self.action_refresh()
        self.app.push_screen(EnrolmentScreen(enrolment))

    def action_disable(self) -> None:
        username = self._selected()
        if username is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:

                def disable(backend):
                    from store.staff import disable_staff

                    disable_staff(backend.db, actor=self.actor, username=username)

                self.store(disable, lambda _result: self.action_refresh())

        self.app.push_screen(
            ConfirmScreen(_("Disable {user}? They can no longer log in.").format(user=username)),
            answered,
        )

    def action_enable(self) -> None:
        username = self._selected()
        if username is None:
            return

        def enable(backend):
            from store.staff import enable_staff

            enable_staff(backend.db, actor=self.actor, username=username)

        self.store(
            enable, lambda _result: self._done(_("{user} can log in.").format(user=username))
        )

    def action_reset(self) -> None:
        username = self._selected()
        if username is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:

                def reset(backend):
                    from store.staff import reset_totp

                    return reset_totp(backend.db, backend.key, actor=self.actor, username=username)

                self.store(reset, self._enrolled)

        self.app.push_screen(
            ConfirmScreen(
                _("Give {user} a new authenticator secret? The old one stops working.").format(
                    user=username
                )
            ),
            answered,
        )

    def action_password(self) -> None:
        username = self._selected()
        if username is None:
            return

        def chosen(password: str | None) -> None:
            if password is None:
                return

            def save(backend):
                from store.staff import set_password

                set_password(backend.db, actor=self.actor, username=username, password=password)

            self.store(
                save, lambda _r: self._done(_("Password set for {user}.").format(user=username))
            )

        self.app.push_screen(PasswordForm(username), chosen)

    def _done(self, message: str) -> None:
        self.notify(message)
        self.action_refresh()
