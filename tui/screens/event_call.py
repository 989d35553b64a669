"""Volunteers for a workshop: the call (an email to the panel, or a sample of it), those who said
yes in an identified survey, and the list of who volunteered.

The call is checked first: how many it would ask and who is left out and why, with the seed, so
the same seed asks the same people. Only then is it queued, to exactly those.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Label, Select, Static

from ..cli_send import reason_text
from ..i18n import N_, _, ngettext
from ..labels import label, local_time, thousands
from .base import PanelModal
from .events import event_mail_for, source_label
from .send_dialog import SendDialog

CALL_LEFT_OUT = {"already_invited": N_("asked before, or a volunteer already")}


class CallDialog(SendDialog):
    """Ask the panel, or a fair sample of it, to volunteer for a workshop: the survey send's
    dialog (filters, sample, strata, the contact-frequency rule); returns how many were asked,
    or None. `target_id` is the event's."""

    def heading(self) -> str:
        return _("Call for volunteers: “{title}”").format(title=self.target_title)

    def intro(self) -> str | None:
        return _(
            "An email asks each one chosen whether they would take part; those who say yes "
            "become volunteers, among whom the invited will be drawn."
        )

    def make_plan(self, backend, selection):
        from store.events import plan_call

        return plan_call(backend.db, actor=self.actor, event_id=self.target_id, selection=selection)

    def report(self, plan) -> list[str]:
        from ..cli_send import plan_lines

        def reason(name: str, rest_days: int) -> str:
            if name in CALL_LEFT_OUT:
                return _(CALL_LEFT_OUT[name])
            return reason_text(name, rest_days)

        return plan_lines(plan, reason=reason)

    def question(self, count: int) -> str:
        return ngettext(
            "Ask {n} person to volunteer now?", "Ask {n} people to volunteer now?", count
        ).format(n=count)

    def not_checked(self) -> str:
        return _("Check first (Ctrl+R): the call goes to the people the check chose.")

    def nobody(self) -> str:
        return _("Nobody to ask.")

    def write(self, backend, plan):
        from store.events import queue_call

        return queue_call(
            backend.db,
            backend.key,
            actor=self.actor,
            event_id=self.target_id,
            plan=plan,
            mail=event_mail_for(backend),
        )


def whole(text: str, name: str) -> int | None:
    """A whole number typed in a field, None if empty; ValueError names the field."""
    text = text.strip().replace(" ", "").replace("\u202f", "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(_("{field} must be a whole number").format(field=name)) from None


class SurveyVolunteersDialog(PanelModal["int | None"]):
    """Volunteers from an identified survey: who answered an option (say “Yes”) to a question.
    Returns how many were new volunteers, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Add"), id="survey-volunteers-add", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="survey-volunteers-cancel"),
    ]

    def __init__(self, event_id: int, title: str) -> None:
        super().__init__()
        self.event_id = event_id
        self.event_title = title
        self.questions: dict[str, tuple[str, ...]] = {}

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Static(
                _("Volunteers from a survey: “{title}”").format(title=self.event_title),
                classes="dialog-title",
                markup=False,
            )
            yield Static(
                _(
                    "Everyone still on the panel who gave this answer becomes a volunteer. "
                    "Only a survey that is not anonymous can name them."
                ),
                classes="hint",
            )
            with Horizontal(classes="field"):
                yield Label(_("Survey"))
                yield Select([], prompt=_("choose a survey"), id="sv-survey", compact=True)
            with Horizontal(classes="field"):
                yield Label(_("Question"))
                yield Select([], prompt=_("choose a question"), id="sv-question", compact=True)
            with Horizontal(classes="field"):
                yield Label(_("Answer"))
                yield Select([], prompt=_("the answer meaning yes"), id="sv-option", compact=True)
            yield Static(_("Ctrl+S adds them."), classes="hint")
            yield Static("", classes="form-error", id="sv-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        from store.surveys import list_surveys

        self.store(lambda backend: list_surveys(backend.db, actor=self.actor), self._surveys)

    def _surveys(self, rows) -> None:
        named = [row for row in rows if not row.anonymous]
        self.query_one("#sv-survey", Select).set_options(
            (f"{row.title} ({label(row.status)})", row.id) for row in named
        )
        if not named:
            self.query_one("#sv-error", Static).update(
                _("No survey names its respondents: every survey is anonymous.")
            )

    @on(Select.Changed, "#sv-survey")
    def _survey_chosen(self, event: Select.Changed) -> None:
        from store.events import volunteer_questions

        self.query_one("#sv-question", Select).set_options([])
        self.query_one("#sv-option", Select).set_options([])
        self.query_one("#sv-error", Static).update("")
        if event.value is Select.NULL:
            return
        survey_id = int(event.value)  # type: ignore[arg-type]

        def shown(questions) -> None:
            self.questions = {q.key: q.options for q in questions}
            self.query_one("#sv-question", Select).set_options(
                (f"{q.key}: {q.text}", q.key) for q in questions
            )
            if not questions:
                self.query_one("#sv-error", Static).update(
                    _("The survey has no single or multiple choice question.")
                )

        self.store(
            lambda backend: volunteer_questions(backend.db, actor=self.actor, survey_id=survey_id),
            shown,
            failed=lambda exc: self.query_one("#sv-error", Static).update(str(exc)),
        )

    @on(Select.Changed, "#sv-question")
    def _question_chosen(self, event: Select.Changed) -> None:
        options = self.questions.get(str(event.value), ()) if event.value is not Select.NULL else ()
        self.query_one("#sv-option", Select).set_options((o, o) for o in options)

    def action_save(self) -> None:
        from store.events import volunteers_from_survey

        error = self.query_one("#sv-error", Static)
        chosen = [
            self.query_one(f"#sv-{name}", Select).value for name in ("survey", "question", "option")
        ]
        if any(value is Select.NULL for value in chosen):
            error.update(_("Choose a survey, a question and the answer."))
            return
        survey_id, question, option = int(chosen[0]), str(chosen[1]), str(chosen[2])  # type: ignore[arg-type]
        event_id = self.event_id

        self.store(
            lambda backend: volunteers_from_survey(
                backend.db,
                actor=self.actor,
                event_id=event_id,
                survey_id=survey_id,
                question=question,
                option=option,
            ),
            self.dismiss,
            failed=lambda exc: error.update(str(exc)),
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class VolunteersScreen(PanelModal[None]):
    """Who volunteered for a workshop, in the order they did."""

    DEFAULT_CSS = """
    VolunteersScreen DataTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", _("Add volunteer"), id="volunteers-add"),
        Binding("escape", "dismiss", _("Close"), id="volunteers-close"),
    ]

    def __init__(self, event_id: int, title: str) -> None:
        super().__init__()
        self.event_id = event_id
        self.event_title = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="volunteers-box"):
            yield Static(
                _("Volunteers: “{title}”").format(title=self.event_title),
                classes="dialog-title",
                markup=False,
            )
            yield Static("", id="volunteers-count", markup=False)
            table: DataTable = DataTable(id="volunteers", cursor_type="row", zebra_stripes=True)
            table.add_columns(
                _("Name"),
                _("Age band"),
                _("Gender"),
                _("District"),
                _("Source"),
                _("When"),
                _("Invited"),
            )
            yield table
        yield Footer()

    def action_add(self) -> None:
        from .path_prompt import TextPrompt

        prompt = TextPrompt(
            _("Add a volunteer"),
            _("The email address of a resident on the panel who asked to take part."),
            "",
            _("Email"),
        )
        self.app.push_screen(prompt, self._add)

    def _add(self, email: str | None) -> None:
        from store.events import add_volunteer

        if not email:
            return
        event_id = self.event_id

        def added(new: bool) -> None:
            self.notify(_("Added as a volunteer.") if new else _("Already a volunteer."))
            self._load()

        self.store(
            lambda backend: add_volunteer(
                backend.db, actor=self.actor, event_id=event_id, email=email
            ),
            added,
        )

    def on_mount(self) -> None:
        box = self.query_one("#volunteers-box")
        box.styles.width, box.styles.height = (
            110,
            "90%",
        )  # over the app's .dialog, as wide as needed

        self._load()

    def _load(self) -> None:
        from store.events import volunteer_list

        event_id = self.event_id
        self.store(
            lambda backend: volunteer_list(backend.db, actor=self.actor, event_id=event_id),
            self._show,
        )

    def _show(self, rows) -> None:
        table = self.query_one("#volunteers", DataTable)
        table.clear()
        for row in rows:
            table.add_row(
                row.name or "–",
                row.age_band or "–",
                label(row.gender) if row.gender else "–",
                row.district or "–",
                source_label(row.source),
                local_time(row.volunteered_at),
                _("yes") if row.invited else _("no"),
                key=str(row.participant_id),
            )
        invited = sum(1 for row in rows if row.invited)
        self.query_one("#volunteers-count", Static).update(
            ngettext(
                "{n} volunteer, {invited} of them invited.",
                "{n} volunteers, {invited} of them invited.",
                len(rows),
            ).format(n=thousands(len(rows)), invited=thousands(invited))
            if rows
            else _("Nobody has volunteered yet: press k for a call, or s for a survey.")
        )
