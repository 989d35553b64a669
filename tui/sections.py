"""The main sections: each a Textual mode with a key, a palette entry and the roles it admits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from store.roles import Role

from .i18n import N_
from .screens.audit_log import AuditLogScreen
from .screens.home import HomeScreen
from .screens.staff_admin import StaffAdminScreen

EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class SectionAction:
    title: str
    help: str
    action: str  # an action of the section's screen


@dataclass(frozen=True)
class Section:
    title: str  # marked with N_, translated where shown
    help: str
    key: str
    screen: Callable[[], Screen]
    roles: frozenset[Role] = EVERYONE
    actions: tuple[SectionAction, ...] = ()


SECTIONS: dict[str, Section] = {
    "home": Section(N_("Home"), N_("The panel at a glance"), "f2", HomeScreen),
    "staff": Section(
        N_("Staff"),
        N_("Staff accounts: add, disable, reset a lost authenticator"),
        "f8",
        StaffAdminScreen,
        frozenset({Role.admin}),
        (
            SectionAction(N_("Add staff member"), N_("A new account with its own TOTP"), "add"),
            SectionAction(N_("Disable staff member"), N_("The selected account"), "disable"),
            SectionAction(
                N_("Enable or unlock staff member"), N_("The selected account"), "enable"
            ),
            SectionAction(
                N_("Reset authenticator"), N_("New TOTP secret for the selected account"), "reset"
            ),
            SectionAction(N_("Set password"), N_("For the selected account"), "password"),
        ),
    ),
    "audit": Section(
        N_("Audit log"),
        N_("Who did what, and when"),
        "f9",
        AuditLogScreen,
        frozenset({Role.admin}),
        (SectionAction(N_("Filter audit log"), N_("Show one kind of action"), "filter"),),
    ),
}
