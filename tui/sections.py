"""The main sections: each a Textual mode with a key, a palette entry and the roles it admits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from store.roles import Role

from .i18n import N_
from .screens.audit_log import AuditLogScreen
from .screens.dispatch import DispatchScreen
from .screens.events import EventsScreen
from .screens.home import HomeScreen
from .screens.recruitment import RecruitmentScreen
from .screens.representation import RepresentationScreen
from .screens.roster import RosterScreen
from .screens.staff_admin import StaffAdminScreen
from .screens.surveys import SurveysScreen

EVERYONE = frozenset(Role)
ADMIN = frozenset({Role.admin})
STAFF_WHO_SEE_NAMES = frozenset({Role.admin, Role.editor})
EDITORS = frozenset({Role.admin, Role.editor})


@dataclass(frozen=True)
class SectionAction:
    title: str
    help: str
    action: str  # an action of the section's screen
    roles: frozenset[Role] | None = None  # None: whoever may open the section


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
    "participants": Section(
        N_("Participants"),
        N_("The roster: search, filter, add and edit participants"),
        "f3",
        RosterScreen,
        STAFF_WHO_SEE_NAMES,
        (
            SectionAction(N_("Search"), N_("Search by name or email"), "search"),
            SectionAction(
                N_("Filter"), N_("By status, gender, age, district, interest, source"), "filters"
            ),
            SectionAction(N_("Add participant"), N_("Register a resident by hand"), "add"),
            SectionAction(N_("Import"), N_("Participants from a CSV or XLSX file"), "import_file"),
            SectionAction(
                N_("Export"), N_("The participants shown, to CSV or XLSX"), "export", ADMIN
            ),
        ),
    ),
    "surveys": Section(
        N_("Surveys"),
        N_("Write, preview, open and close surveys"),
        "f4",
        SurveysScreen,
        EVERYONE,
        (
            SectionAction(N_("New survey"), N_("Write a survey from scratch"), "add", EDITORS),
            SectionAction(
                N_("Preview survey"), N_("The selected survey as residents see it"), "preview"
            ),
            SectionAction(
                N_("Results"), N_("The selected survey's answers, broken down"), "results", EVERYONE
            ),
            SectionAction(
                N_("Publish results"),
                N_("What was learned, for residents to read; an email to those who took part"),
                "publish_results",
                EDITORS,
            ),
            SectionAction(
                N_("Duplicate survey"),
                N_("A new draft from the selected survey"),
                "duplicate",
                EDITORS,
            ),
            SectionAction(N_("Open survey"), N_("Start taking answers"), "open_survey", EDITORS),
            SectionAction(
                N_("Send survey"), N_("Invite the panel, or a fair sample of it"), "send", EDITORS
            ),
            SectionAction(
                N_("Remind"), N_("Those invited who have not answered"), "remind", EDITORS
            ),
            SectionAction(N_("Close survey"), N_("Stop taking answers"), "close_survey", EDITORS),
            SectionAction(
                N_("Archive survey"), N_("Out of the everyday list"), "archive_survey", EDITORS
            ),
            SectionAction(
                N_("Import survey"), N_("A survey from a YAML file"), "import_file", EDITORS
            ),
            SectionAction(N_("Export survey"), N_("The selected survey to a YAML file"), "export"),
        ),
    ),
    "dispatch": Section(
        N_("Sending"),
        N_("The dispatch queue: progress, failures, pause and resume, test email"),
        "f5",
        DispatchScreen,
        EDITORS,
        (
            SectionAction(
                N_("Pause or resume sending"), N_("Hold the outbox, or let it go"), "pause"
            ),
            SectionAction(N_("Retry failed messages"), N_("Queue the failed ones again"), "retry"),
            SectionAction(N_("Cancel queued messages"), N_("Stop what has not gone out"), "cancel"),
            SectionAction(
                N_("Send a test email"), N_("To yourself, through the real server"), "test"
            ),
        ),
    ),
    "recruitment": Section(
        N_("Recruitment"),
        N_("Sign-up links per channel, their QR codes, and who signed up through each"),
        "f6",
        RecruitmentScreen,
        EDITORS,
        (
            SectionAction(
                N_("New recruitment channel"), N_("A sign-up link and QR code for it"), "add"
            ),
            SectionAction(N_("Show QR code"), N_("The selected channel's, on screen"), "show_qr"),
            SectionAction(
                N_("Save QR code"), N_("The selected channel's, as an SVG or PNG file"), "save"
            ),
        ),
    ),
    "representation": Section(
        N_("Who is missing"),
        N_("The panel against the population by age, gender and district; sign-ups by source"),
        "f7",
        RepresentationScreen,
    ),
    "staff": Section(
        N_("Staff"),
        N_("Staff accounts: add, disable, reset a lost authenticator"),
        "f8",
        StaffAdminScreen,
        ADMIN,
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
        ADMIN,
        (SectionAction(N_("Filter audit log"), N_("Show one kind of action"), "filter"),),
    ),
    "events": Section(
        N_("Workshops"),
        N_("Workshops: sessions, volunteers, the draw, invitations and attendance"),
        "f10",
        EventsScreen,
        EDITORS,
        (
            SectionAction(N_("New workshop"), N_("A workshop or co-creation event"), "add"),
            SectionAction(
                N_("Edit workshop"),
                N_("The selected workshop's title, text and place"),
                "edit_event",
            ),
            SectionAction(
                N_("Close or reopen workshop"),
                N_("A closed workshop's pages take no more answers"),
                "toggle_status",
            ),
            SectionAction(N_("Add session"), N_("A time with a number of places"), "add_session"),
            SectionAction(
                N_("Edit session"),
                N_("Its time and places; more places go to the waiting list"),
                "edit_session",
            ),
            SectionAction(
                N_("Call for volunteers"),
                N_("Email the panel, or a sample of it, asking who will take part"),
                "call",
            ),
            SectionAction(
                N_("Volunteers from a survey"),
                N_("Those who answered yes to a question in an identified survey"),
                "from_survey",
            ),
            SectionAction(N_("Show volunteers"), N_("Who volunteered, and how"), "volunteers"),
            SectionAction(
                N_("Draw and invite"),
                N_("A fair, recorded draw among the volunteers; invitations by email"),
                "draw",
            ),
            SectionAction(
                N_("Repeat draw"),
                N_("Run a recorded draw again and see that it chooses the same people"),
                "repeat_draw",
            ),
            SectionAction(
                N_("Cancel invitation"),
                N_("Withdraw one; a place it held goes to the waiting list"),
                "cancel_invite",
            ),
            SectionAction(
                N_("Record attendance"),
                N_("Whether someone with a place came: came, did not come, not recorded"),
                "attendance",
            ),
        ),
    ),
}
