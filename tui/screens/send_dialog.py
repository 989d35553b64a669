"""Send a survey: choose who, see the count per stratum and who is left out and why, then send.

Nothing is written until staff confirm; the draw is repeatable from the seed shown. The same
dialog asks the panel to volunteer for a workshop (tui/screens/event_call.py): only what is
planned, what the report says and what is queued differ.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, Label, Select, SelectionList, Static

from ..i18n import _
from ..labels import label
from .base import PanelModal
from .confirm import ConfirmScreen

FILTERS = (
    ("districts", "district", "Districts"),
    ("interests", "interest", "Interests"),
    ("age_bands", "age_band", "Age bands"),
    ("genders", "gender", "Genders"),
    ("sources", "source", "Sources"),
)


class SendDialog(PanelModal["int | None"]):
    """Returns the number of invitations queued, or None. `target_id` is the survey's."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "check", _("Check"), id="send-check", priority=True),
        Binding("ctrl+s", "send", _("Send"), id="send-send", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="send-cancel"),
    ]

    def __init__(self, target_id: int, title: str) -> None:
        super().__init__()
        self.target_id = target_id
        self.target_title = title
        self.plan = None  # the last checked plan; sending uses exactly it

    # What differs between a survey send and a call for volunteers -------------------------------

    def heading(self) -> str:
        return _("Send “{title}”").format(title=self.target_title)

    def intro(self) -> str | None:
        return None

    def make_plan(self, backend, selection):
        from store.sampling import plan_send

        return plan_send(
            backend.db, actor=self.actor, survey_id=self.target_id, selection=selection
        )

    def report(self, plan) -> list[str]:
        from ..cli_send import plan_lines

        return plan_lines(plan)

    def question(self, count: int) -> str:
        return _("Invite {n} people now?").format(n=count)

    def not_checked(self) -> str:
        return _("Check first (Ctrl+R): you send to the people the check chose.")

    def nobody(self) -> str:
        return _("Nobody to invite.")

    def write(self, backend, plan):
        """Queue what `plan` chose; returns the store's `Queued`."""
        from store.sending import Mailing, queue_invitations
        from store.surveys import get_survey

        from ..cli_send import survey_letters_for

        survey = get_survey(backend.db, actor=self.actor, survey_id=plan.survey_id)
        settings = backend.settings
        return queue_invitations(
            backend.db,
            backend.key,
            actor=self.actor,
            plan=plan,
            letters=survey_letters_for("invitation", survey, settings),
            mailing=Mailing(mail_from=settings.mail_from, base_url=settings.base_url),
        )

    # The dialog -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide", id="send-box"):
            yield Static(self.heading(), classes="dialog-title", markup=False)
            if intro := self.intro():
                yield Static(intro, classes="hint")
            yield Static(_("Everyone active, unless you narrow it:"), classes="hint")
            for field, _choice, title in FILTERS:
                yield Label(_(title))
                yield SelectionList[str](id=f"send-{field}", classes="send-filter")
            with Horizontal(classes="field"):
                yield Label(_("Who"))
                yield Select(
                    [
                        (_("everyone who matches"), "all"),
                        (_("a random sample"), "simple"),
                        (_("a sample stratified by age × gender"), "stratified"),
                    ],
                    value="all",
                    allow_blank=False,
                    id="send-method",
                    compact=True,
                )
            with Horizontal(classes="field"):
                yield Label(_("Sample size"))
                yield Input(id="send-size", placeholder=_("e.g. 200"))
            with Horizontal(classes="field"):
                yield Label(_("Strata as in"))
                yield Select(
                    [(_("the panel"), "panel"), (_("the population"), "population")],
                    value="panel",
                    allow_blank=False,
                    id="send-proportional",
                    compact=True,
                )
            with Horizontal(classes="field"):
                yield Label(_("Rest days"))
                yield Input("30", id="send-rest")
            yield Static(
                _("Anyone contacted within this many days is left out (0: nobody)."),
                classes="hint",
            )
            with Horizontal(classes="field"):
                yield Label(_("Seed"))
                yield Input(id="send-seed", placeholder=_("empty: a new draw"))
            yield Static(
                _("Ctrl+R checks who would get it; Ctrl+S sends to exactly those."), classes="hint"
            )
            yield Static("", id="send-report", markup=False)
            yield Static("", classes="form-error", id="send-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        from store.roster import filter_choices

        self.store(lambda backend: filter_choices(backend.db, actor=self.actor), self._choices)

    def _choices(self, choices: dict[str, list[str]]) -> None:
        for field, choice, _title in FILTERS:
            options = self.query_one(f"#send-{field}", SelectionList)
            for value in choices.get(choice, []):
                shown = label(value) if choice == "gender" else value
                options.add_option((shown, value))

    def selection(self):
        """The rule on screen; ValueError names a field that is not a whole number."""
        from store.sampling import Selection

        def number(field: str, name: str) -> int | None:
            text = self.query_one(field, Input).value.strip()
            if not text:
                return None
            try:
                return int(text)
            except ValueError:
                raise ValueError(_("{field} must be a whole number").format(field=name)) from None

        picked = {
            field: tuple(self.query_one(f"#send-{field}", SelectionList).selected)
            for field, _choice, _title in FILTERS
        }
        method = str(self.query_one("#send-method", Select).value)
        rest = number("#send-rest", _("Rest days"))
        return Selection(
            **picked,
            method=method,
            size=number("#send-size", _("Sample size")) if method != "all" else None,
            proportional_to=str(self.query_one("#send-proportional", Select).value),
            rest_days=30 if rest is None else rest,
            seed=number("#send-seed", _("Seed")),
        )

    @on(SelectionList.SelectedChanged)
    @on(Select.Changed)
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
        from .events import after_typing

        after_typing(self, self.check)

    def check(self) -> None:
        error = self.query_one("#send-error", Static)
        error.update("")
        try:
            selection = self.selection()
        except ValueError as exc:
            error.update(str(exc))
            return

        def checked(plan) -> None:
            self.plan = plan
            self.query_one("#send-seed", Input).value = str(plan.seed)  # shown, so repeatable
            report = self.query_one("#send-report", Static)
            report.update("\n".join(self.report(plan)))
            self.call_after_refresh(report.scroll_visible, animate=False)

        self.store(
            lambda backend: self.make_plan(backend, selection),
            checked,
            failed=lambda exc: error.update(str(exc)),
        )

    def action_send(self) -> None:
        from .events import after_typing

        after_typing(self, self.send)

    def send(self) -> None:
        plan = self.plan
        error = self.query_one("#send-error", Static)
        if plan is None:
            error.update(self.not_checked())
            return
        if not plan.chosen:
            error.update(self.nobody())
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.store(
                    lambda backend: self.write(backend, plan),
                    lambda queued: self.dismiss(queued.queued),
                    failed=lambda e: error.update(str(e)),
                )

        self.app.push_screen(ConfirmScreen(self.question(len(plan.chosen))), answered)

    def action_cancel(self) -> None:
        self.dismiss(None)
