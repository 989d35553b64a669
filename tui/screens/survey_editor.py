"""Write a survey: its texts, dates and questions, saved with a check that nobody saved between.

A save that loses a race, or that answers already given forbid, is refused with the reason, and
everything typed stays on screen.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Footer, Header, Input, Label, Static, TextArea

from store.survey_spec import QuestionSpec, SurveySpec

from .. import drafts
from ..i18n import _
from ..labels import label, local_time
from ..widgets.ordered_list import OrderedList, moved
from .base import PanelScreen
from .confirm import ConfirmScreen
from .question_form import QuestionForm, kind_label


def question_line(number: int, q: QuestionSpec) -> Text:
    line = Text(f"{number}. {q.text or '…'}")
    line.append(f"  {kind_label(q.kind)}", style="dim")
    if q.required:
        line.append(" *", style="bold")
    if q.kind in ("single", "multiple"):
        line.append(f" ({len(q.options)})", style="dim")
    if q.show_if:
        condition = "; ".join(f"{k} = {' / '.join(v)}" for k, v in q.show_if.items())
        line.append("  " + _("if {condition}").format(condition=condition), style="italic")
    return line


KEEP_SECONDS = 3.0  # unsaved changes are kept this often, against a dropped connection


class SurveyEditor(PanelScreen):
    """`survey_id` None writes a new survey."""

    AUTO_FOCUS = "#s-title"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Save"), id="survey-save", priority=True),
        Binding("f5", "preview", _("Preview"), id="survey-preview"),
        Binding("ctrl+r", "reload", _("Reload"), id="survey-reload", show=False),
        Binding("escape", "close", _("Back"), id="survey-back"),
    ]

    def __init__(self, survey_id: int | None) -> None:
        super().__init__()
        self.survey_id = survey_id
        self.version = 0
        self.status = "draft"
        self.answered = 0
        self.spec = SurveySpec(title="")
        self.saved = copy.deepcopy(self.spec)  # what the database holds, to tell what changed
        self.keep_failed = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="editor"):
            yield Static(_("New survey"), classes="screen-title", id="editor-title")
            with Horizontal(classes="field"):
                yield Label(_("Title"))
                yield Input(id="s-title")
            with Horizontal(classes="field tall"):
                yield Label(_("Introduction"))
                yield TextArea(id="s-intro", soft_wrap=True, show_line_numbers=False)
            with Horizontal(classes="field tall"):
                yield Label(_("Thank-you text"))
                yield TextArea(id="s-thanks", soft_wrap=True, show_line_numbers=False)
            yield Checkbox(
                _("Anonymous: answers are not linked to the person"),
                True,
                id="s-anonymous",
                compact=True,
            )
            with Horizontal(classes="field"):
                yield Label(_("Opens"))
                yield Input(id="s-opens", placeholder=_("YYYY-MM-DD, or empty"))
            with Horizontal(classes="field"):
                yield Label(_("Closes"))
                yield Input(id="s-closes", placeholder=_("YYYY-MM-DD, or empty"))
            with Horizontal(classes="field"):
                yield Label(_("Remind after"))
                yield Input(
                    id="s-remind-after",
                    type="integer",
                    placeholder=_("days, or empty to remind by hand only"),
                )
            with Horizontal(classes="field"):
                yield Label(_("Max reminders"))
                yield Input(id="s-max-reminders", type="integer")
            yield Label(_("Questions (a add, e edit, c copy, x delete, K/J move)"))
            yield OrderedList(empty=_("No questions yet: press a to add one."), id="questions")
            yield Static("", classes="form-error", id="editor-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        # At once, not deferred: what staff type straight away lands in the title.
        self.set_focus(self.query_one("#s-title", Input))
        if self.survey_id is None:
            self._fill()
            self._bring_back()
        else:
            self._load()
        self.set_interval(KEEP_SECONDS, self._keep)

    # Unsaved work, kept against a dropped connection (tui/drafts.py) --------------------------

    def _keep(self) -> None:
        """Keep what is on the screen while it differs from what is saved (saving, reloading
        and leaving on purpose forget it)."""
        if not self.is_attached or self.app.actor is None:
            return
        try:
            spec = self.collected()
        except ValueError:
            return  # a date being typed: the last kept draft stands
        if spec == self.saved:
            return
        try:
            drafts.keep(self.actor.username, self.survey_id, self.version, spec)
        except OSError as exc:  # the home directory is full or read-only: say so, once
            if not self.keep_failed:
                self.keep_failed = True
                self.notify(
                    _("Unsaved changes cannot be kept on this account: {error}").format(
                        error=exc.strerror or exc
                    ),
                    severity="warning",
                )

    def _bring_back(self) -> None:
        """Unsaved changes kept from a session that ended, back on the screen."""
        draft = drafts.kept(self.actor.username, self.survey_id)
        if draft is None or draft.spec == self.saved:
            return
        self.spec = draft.spec
        self.version = draft.version or self.version  # a newer save meanwhile: saving says so
        self._fill()
        self.notify(
            _(
                "Unsaved changes from your last session ({when}) are back. Ctrl+S saves them; "
                "Ctrl+R brings back the saved survey."
            ).format(when=local_time(draft.kept_at)),
            title=_("Brought back"),
            timeout=15,
        )

    def _forget(self, *survey_ids: int | None) -> None:
        for survey_id in survey_ids:
            drafts.drop(self.actor.username, survey_id)

    def _load(self) -> None:
        from store.surveys import get_survey

        survey_id = self.survey_id
        assert survey_id is not None
        self.store(
            lambda backend: get_survey(backend.db, actor=self.actor, survey_id=survey_id),
            self._loaded,
        )

    def _loaded(self, detail, *, bring_back: bool = True) -> None:
        self.survey_id = detail.id
        self.version = detail.version
        self.status = detail.status
        self.answered = detail.answered
        self.spec = detail.spec
        self.saved = copy.deepcopy(detail.spec)
        self._fill()
        if bring_back:
            self._bring_back()

    def _fill(self) -> None:
        spec = self.spec
        self.query_one("#s-title", Input).value = spec.title
        self.query_one("#s-intro", TextArea).text = spec.intro
        self.query_one("#s-thanks", TextArea).text = spec.thanks
        self.query_one("#s-anonymous", Checkbox).value = spec.anonymous
        self.query_one("#s-opens", Input).value = spec.opens_on.isoformat() if spec.opens_on else ""
        self.query_one("#s-closes", Input).value = (
            spec.closes_on.isoformat() if spec.closes_on else ""
        )
        remind = spec.remind_after_days
        self.query_one("#s-remind-after", Input).value = "" if remind is None else str(remind)
        self.query_one("#s-max-reminders", Input).value = str(spec.max_reminders)
        self._show_questions()
        self._show_heading()
        self.query_one("#editor-error", Static).update("")

    def _show_heading(self) -> None:
        if self.survey_id is None:
            text = _("New survey")
        else:
            text = _("Survey {id} · {status} · version {version}").format(
                id=self.survey_id, status=label(self.status), version=self.version
            )
            if self.answered:
                text += " · " + _("{n} answers: questions and options can be reworded only").format(
                    n=self.answered
                )
        self.query_one("#editor-title", Static).update(text)

    def _show_questions(self, highlight: int | None = None) -> None:
        lines = [question_line(n, q) for n, q in enumerate(self.spec.questions, start=1)]
        self.query_one("#questions", OrderedList).show(lines, highlight)

    # Reading the form -------------------------------------------------------------------------

    def collected(self) -> SurveySpec:
        """The survey as the screen now has it; ValueError names a date that is not one."""

        def day(field: str, name: str) -> date | None:
            text = self.query_one(field, Input).value.strip()
            if not text:
                return None
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    _("{field}: “{text}” is not a date like 2026-03-31").format(
                        field=name, text=text
                    )
                ) from None

        def whole(field: str, name: str) -> int | None:
            text = self.query_one(field, Input).value.strip()
            if not text:
                return None
            try:
                return int(text)
            except ValueError:
                raise ValueError(
                    _("{field}: “{text}” is not a whole number").format(field=name, text=text)
                ) from None

        most = whole("#s-max-reminders", _("Max reminders"))
        return SurveySpec(
            title=self.query_one("#s-title", Input).value.strip(),
            intro=self.query_one("#s-intro", TextArea).text.strip(),
            thanks=self.query_one("#s-thanks", TextArea).text.strip(),
            anonymous=self.query_one("#s-anonymous", Checkbox).value,
            opens_on=day("#s-opens", _("Opens")),
            closes_on=day("#s-closes", _("Closes")),
            questions=self.spec.questions,
            remind_after_days=whole("#s-remind-after", _("Remind after")),
            max_reminders=SurveySpec.max_reminders if most is None else most,
        )

    def changed(self) -> bool:
        try:
            return self.collected() != self.saved
        except ValueError:
            return True

    # Questions --------------------------------------------------------------------------------

    @on(OrderedList.Command, "#questions")
    def _question_command(self, event: OrderedList.Command) -> None:
        questions = self.spec.questions
        index = event.index
        if event.action == "add":
            at = len(questions) if index is None else index + 1
            self._edit(at, QuestionSpec(key=self.spec.new_key(), kind="single", text=""))
            return
        if index is None or index >= len(questions):
            return
        if event.action == "edit":
            self._edit(index, questions[index])
        elif event.action == "copy":
            questions.insert(index + 1, questions[index].copy(self.spec.new_key()))
            self._show_questions(index + 1)
        elif event.action == "delete":
            self._delete(index)
        elif event.action in ("up", "down"):
            self._show_questions(moved(questions, event.action, index))

    def _edit(self, index: int, question: QuestionSpec) -> None:
        new = index >= len(self.spec.questions) or self.spec.questions[index] is not question

        def done(edited: QuestionSpec | None) -> None:
            if edited is None:
                return
            if new:
                self.spec.questions.insert(index, edited)
            else:
                self.spec.questions[index] = edited
            self._show_questions(index)

        self.app.push_screen(QuestionForm(self.spec, index, question), done)

    def _delete(self, index: int) -> None:
        question = self.spec.questions[index]

        def answered(yes: bool | None) -> None:
            if yes:
                del self.spec.questions[index]
                self._show_questions(index)

        text = _("Delete question {n}, “{text}”?").format(n=index + 1, text=question.text[:60])
        if self.answered and question.id is not None:
            text += "\n" + _("The survey has answers: saving will refuse this.")
        self.app.push_screen(ConfirmScreen(text), answered)

    # Saving -----------------------------------------------------------------------------------

    def action_save(self) -> None:
        from store.surveys import create_survey, get_survey, save_survey

        error = self.query_one("#editor-error", Static)
        try:
            spec = copy.deepcopy(self.collected())
        except ValueError as exc:
            error.update(str(exc))
            return
        survey_id, version = self.survey_id, self.version

        def save(backend):
            db = backend.db
            if survey_id is None:
                new_id = create_survey(db, actor=self.actor, spec=spec)
            else:
                save_survey(db, actor=self.actor, survey_id=survey_id, spec=spec, version=version)
                new_id = survey_id
            return get_survey(db, actor=self.actor, survey_id=new_id)

        def saved(detail) -> None:
            self._forget(survey_id, detail.id)
            self._loaded(detail, bring_back=False)
            self.notify(_("Saved: version {version}.").format(version=detail.version))

        def refused(exc: Exception) -> None:
            from store.errors import Conflict

            text = str(exc)
            if isinstance(exc, Conflict):
                text += "\n" + _(
                    "Your text is kept here. Copy what you need, then press Ctrl+R to load "
                    "the saved survey."
                )
            error.update(text)
            self.notify(str(exc), title=_("Not saved"), severity="error", timeout=8)

        self.store(save, saved, failed=refused)

    def action_reload(self) -> None:
        if self.survey_id is not None:
            self._forget(self.survey_id)
            self._load()

    def action_preview(self) -> None:
        from .survey_preview import SurveyPreview

        try:
            spec = copy.deepcopy(self.collected())
        except ValueError as exc:
            self.query_one("#editor-error", Static).update(str(exc))
            return
        self.app.push_screen(SurveyPreview(spec))

    def action_close(self) -> None:
        if not self.changed():
            self._forget(self.survey_id)
            self.dismiss_editor()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._forget(self.survey_id)
                self.dismiss_editor()

        self.app.push_screen(
            ConfirmScreen(_("Leave without saving? Your changes will be lost.")), answered
        )

    def dismiss_editor(self) -> None:
        self.app.pop_screen()
