"""Volunteers for a workshop: the call (an email to the panel, or a sample of it), those who said
yes in an identified survey, and the list of who volunteered.

The call is checked first: how many it would ask and who is left out and why, with the seed, so
the same seed asks the same people. Only then is it queued, to exactly those.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Input, Label, Select, Static

from ..i18n import N_, _, ngettext
from ..labels import label, local_time, thousands
from .base import PanelModal
from .confirm import ConfirmScreen
from .events import after_typing, event_mail_for, left_out_lines, source_label

CALL_LEFT_OUT = {
    "already_invited": N_("asked before, or a volunteer already"),
    "contacted_recently": N_("contacted within the rest days"),
    "not_enough": N_("missing: fewer eligible people than the sample asks for"),
}


class CallDialog(PanelModal["int | None"]):
    """Ask the panel to volunteer; returns how many were asked, or None."""

    DEFAULT_CSS = """
    CallDialog #call-report { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "check", _("Check"), id="call-check", priority=True),
        Binding("ctrl+s", "send", _("Send"), id="call-send", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="call-cancel"),
    ]

    def __init__(self, event_id: int, title: str) -> None:
        super().__init__()
        self.event_id = event_id
        self.event_title = title
        self.plan = None  # the last checked plan; sending uses exactly it

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Static(
                _("Call for volunteers: “{title}”").format(title=self.event_title),
                classes="dialog-title",
                markup=False,
            )
            yield Static(
                _(
                    "An email asks active residents to volunteer; those who say yes can then "
                    "be drawn and invited."
                ),
                classes="hint",
            )
            with Horizontal(classes="field"):
                yield Label(_("Sample size"))
                yield Input(id="call-size", placeholder=_("empty: everyone"))
            with Horizontal(classes="field"):
                yield Label(_("Rest days"))
                yield Input("30", id="call-rest")
            yield Static(
                _("Anyone contacted within this many days is left out (0: nobody)."),
                classes="hint",
            )
            with Horizontal(classes="field"):
                yield Label(_("Seed"))
                yield Input(id="call-seed", placeholder=_("empty: a new draw"))
            yield Static(
                _("Ctrl+R checks whom it would ask; Ctrl+S asks exactly those."), classes="hint"
            )
            yield Static("", id="call-report", markup=False)
            yield Static("", classes="form-error", id="call-error", markup=False)
        yield Footer()

    def selection(self):
        """The rule on screen; ValueError names a field that is not a whole number."""
        from store.sampling import Selection

        size = whole(self.query_one("#call-size", Input).value, _("Sample size"))
        rest = whole(self.query_one("#call-rest", Input).value, _("Rest days"))
        return Selection(
            method="simple" if size is not None else "all",
            size=size,
            rest_days=30 if rest is None else rest,
            seed=whole(self.query_one("#call-seed", Input).value, _("Seed")),
        )

    @on(Input.Changed)
    def _changed(self) -> None:
        """Once the screen no longer asks for what was checked, check again before sending."""
        if self.plan is None:
            return
        try:
            current = self.selection()
        except ValueError:
            current = None
        if current != replace(self.plan.selection, seed=self.plan.seed):
            self.plan = None

    def action_check(self) -> None:
        after_typing(self, self.check)

    def check(self) -> None:
        from store.events import plan_call

        error = self.query_one("#call-error", Static)
        error.update("")
        try:
            selection = self.selection()
        except ValueError as exc:
            error.update(str(exc))
            return
        event_id = self.event_id

        def checked(plan) -> None:
            self.plan = plan
            self.query_one("#call-seed", Input).value = str(plan.seed)  # shown, so repeatable
            report = self.query_one("#call-report", Static)
            report.update("\n".join(self.plan_lines(plan)))
            self.call_after_refresh(report.scroll_visible, animate=False)

        self.store(
            lambda backend: plan_call(
                backend.db, actor=self.actor, event_id=event_id, selection=selection
            ),
            checked,
            failed=lambda exc: error.update(str(exc)),
        )

    @staticmethod
    def plan_lines(plan) -> list[str]:
        lines = [_("Active with a deliverable address: {n}.").format(n=thousands(plan.matching))]
        lines += left_out_lines(plan.left_out, CALL_LEFT_OUT)
        if plan.selection.method == "all":
            lines.append(_("Asked: everyone else, {n}.").format(n=thousands(len(plan.chosen))))
        else:
            lines.append(
                _("Asked: a random sample of {n} (seed {seed}).").format(
                    n=thousands(len(plan.chosen)), seed=plan.seed
                )
            )
        return lines

    def action_send(self) -> None:
        after_typing(self, self.send)

    def send(self) -> None:
        plan = self.plan
        error = self.query_one("#call-error", Static)
        if plan is None:
            error.update(_("Check first (Ctrl+R): the call goes to the people the check chose."))
            return
        if not plan.chosen:
            error.update(_("Nobody to ask."))
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._queue(plan)

        question = ngettext(
            "Ask {n} person to volunteer now?", "Ask {n} people to volunteer now?", len(plan.chosen)
        )
        self.app.push_screen(ConfirmScreen(question.format(n=len(plan.chosen))), answered)

    def _queue(self, plan) -> None:
        from store.events import queue_call

        error = self.query_one("#call-error", Static)
        event_id = self.event_id

        def queue(backend):
            return queue_call(
                backend.db,
                backend.key,
                actor=self.actor,
                event_id=event_id,
                plan=plan,
                mail=event_mail_for(backend),
            )

        self.store(
            queue, lambda queued: self.dismiss(queued.queued), failed=lambda e: error.update(str(e))
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


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
