"""One question of a survey: its kind, wording, options, range, length limit and condition.

The form checks the question where it stands in the survey (a condition may look back only),
and gives back the edited question, or None when cancelled.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Footer, Input, Label, Select, SelectionList, Static

from store.survey_spec import (
    CHOICE_KINDS,
    CONDITION_KINDS,
    KINDS,
    OptionSpec,
    QuestionSpec,
    SurveySpec,
    problems,
    where,
)

from ..i18n import _
from ..widgets.ordered_list import OrderedList, moved
from .base import PanelModal
from .surveys import KIND_LABELS


def kind_label(kind: str) -> str:
    return _(KIND_LABELS.get(kind, kind))


def whole(text: str) -> int | None:
    """A whole number from a field, or None when empty; ValueError when it is not one."""
    text = text.strip().replace("\u2212", "-")
    return int(text) if text else None


class QuestionForm(PanelModal["QuestionSpec | None"]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "done", _("Done"), id="question-done", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="question-cancel"),
    ]

    def __init__(self, survey: SurveySpec, index: int, question: QuestionSpec) -> None:
        """`index` is where the question stands, or will stand, in `survey.questions`."""
        super().__init__()
        self.survey = survey
        self.index = index
        self.question = question
        self.options = [OptionSpec(o.label, o.id) for o in question.options]
        self.editing_option: int | None = None
        self.earlier = [q for q in survey.questions[:index] if q.kind in CONDITION_KINDS]

    def compose(self) -> ComposeResult:
        q = self.question
        with VerticalScroll(classes="dialog wide", id="question-box"):
            yield Static(_("Question {n}").format(n=self.index + 1), classes="dialog-title")
            with Horizontal(classes="field"):
                yield Label(_("Kind"))
                yield Select(
                    [(kind_label(k), k) for k in KINDS],
                    value=q.kind,
                    allow_blank=False,
                    id="q-kind",
                    compact=True,
                )
            with Horizontal(classes="field"):
                yield Label(_("Question"))
                yield Input(q.text, id="q-text", placeholder=_("What residents are asked"))
            with Horizontal(classes="field"):
                yield Label(_("Id"))
                yield Input(q.key, id="q-key", placeholder=_("used by conditions and in files"))
            yield Checkbox(_("An answer is required"), q.required, id="q-required", compact=True)
            with Vertical(id="q-choice"):
                yield Label(_("Options (a add, e edit, x delete, K/J move)"))
                yield OrderedList(can_copy=False, empty=_("No options yet"), id="q-options")
                with Horizontal(classes="field"):
                    yield Label(_("Option"), id="q-option-label")
                    yield Input(id="q-option", placeholder=_("Type an option, Enter adds it"))
            with Vertical(id="q-range"):
                with Horizontal(classes="field"):
                    yield Label(_("Lowest"))
                    yield Input(_text(q.min_value), id="q-min")
                with Horizontal(classes="field"):
                    yield Label(_("Highest"))
                    yield Input(_text(q.max_value), id="q-max")
            with Vertical(id="q-labels"):
                with Horizontal(classes="field"):
                    yield Label(_("Lowest means"))
                    yield Input(q.min_label or "", id="q-min-label")
                with Horizontal(classes="field"):
                    yield Label(_("Highest means"))
                    yield Input(q.max_label or "", id="q-max-label")
            with Horizontal(classes="field", id="q-length"):
                yield Label(_("Length limit"))
                yield Input(_text(q.max_length), id="q-max-length", placeholder="2000")
            with Horizontal(classes="field"):
                yield Label(_("Ask only if"))
                yield Select(
                    [(f"{e.key}: {e.text[:40]}", e.key) for e in self.earlier],
                    prompt=_("always asked"),
                    id="q-if-key",
                    compact=True,
                )
            yield SelectionList[str](id="q-if-values")
            yield Static("", classes="form-error", id="q-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        condition = self.question.show_if or {}
        key = next(iter(condition), None)
        if key is not None and any(e.key == key for e in self.earlier):
            self.query_one("#q-if-key", Select).value = key
            self._fill_values(key, condition[key])
        else:
            self._fill_values(None, [])
        self._show_kind(self.question.kind)
        self._show_options()
        self.query_one("#q-text", Input).focus()

    # The parts that depend on the kind --------------------------------------------------------

    @on(Select.Changed, "#q-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        kind = str(event.value)
        self._show_kind(kind)
        if kind == "scale":
            for field, value in (("#q-min", "1"), ("#q-max", "5")):
                box = self.query_one(field, Input)
                box.value = box.value or value

    def _show_kind(self, kind: str) -> None:
        self.query_one("#q-choice").display = kind in CHOICE_KINDS
        self.query_one("#q-range").display = kind in ("scale", "number")
        self.query_one("#q-labels").display = kind == "scale"
        self.query_one("#q-length").display = kind == "text"

    @on(Select.Changed, "#q-if-key")
    def _condition_changed(self, event: Select.Changed) -> None:
        key = event.value if isinstance(event.value, str) else None
        self._fill_values(key, [])

    def _fill_values(self, key: str | None, chosen: list[str]) -> None:
        values = self.query_one("#q-if-values", SelectionList)
        values.clear_options()
        target = next((e for e in self.earlier if e.key == key), None)
        values.display = target is not None
        if target is not None:
            values.add_options((v, v, v in chosen) for v in target.values())
            values.highlighted = 0

    # Options ----------------------------------------------------------------------------------

    def _show_options(self, highlight: int | None = None) -> None:
        prompts = [Text(f"{n}. {o.label}") for n, o in enumerate(self.options, start=1)]
        self.query_one("#q-options", OrderedList).show(prompts, highlight)

    @on(OrderedList.Command, "#q-options")
    def _option_command(self, event: OrderedList.Command) -> None:
        box = self.query_one("#q-option", Input)
        index = event.index
        if event.action == "add":
            self.editing_option = None
            box.value = ""
            self.set_focus(box)
        elif index is None or index >= len(self.options):
            return
        elif event.action == "edit":
            self.editing_option = index
            box.value = self.options[index].label
            self.query_one("#q-option-label", Label).update(_("Option {n}").format(n=index + 1))
            self.set_focus(box)
        elif event.action == "delete":
            del self.options[index]
            self._show_options(index)
        elif event.action in ("up", "down"):
            self._show_options(moved(self.options, event.action, index))

    @on(Input.Submitted, "#q-option")
    def _option_entered(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        event.stop()
        if self.editing_option is not None:
            if text:
                self.options[self.editing_option].label = text
            index = self.editing_option
            self.editing_option = None
            self.query_one("#q-option-label", Label).update(_("Option"))
            self._show_options(index)
            self.set_focus(self.query_one("#q-options"))
        elif text:
            self.options.append(OptionSpec(text))
            self._show_options(len(self.options) - 1)
        event.input.value = ""

    # Done -------------------------------------------------------------------------------------

    def collected(self) -> QuestionSpec:
        """The question as the form now has it; ValueError names a field that is not a number."""
        kind = str(self.query_one("#q-kind", Select).value)

        def number(field: str, name: str) -> int | None:
            try:
                return whole(self.query_one(field, Input).value)
            except ValueError:
                raise ValueError(_("{field} must be a whole number").format(field=name)) from None

        ranged = kind in ("scale", "number")
        key = self.query_one("#q-if-key", Select).value
        values = list(self.query_one("#q-if-values", SelectionList).selected)
        return QuestionSpec(
            key=self.query_one("#q-key", Input).value.strip(),
            kind=kind,
            text=self.query_one("#q-text", Input).value.strip(),
            required=self.query_one("#q-required", Checkbox).value,
            options=list(self.options) if kind in CHOICE_KINDS else [],
            min_value=number("#q-min", _("Lowest")) if ranged else None,
            max_value=number("#q-max", _("Highest")) if ranged else None,
            min_label=(self.query_one("#q-min-label", Input).value.strip() or None)
            if kind == "scale"
            else None,
            max_label=(self.query_one("#q-max-label", Input).value.strip() or None)
            if kind == "scale"
            else None,
            max_length=number("#q-max-length", _("Length limit")) if kind == "text" else None,
            show_if={key: values} if isinstance(key, str) else None,
            id=self.question.id,
        )

    def action_done(self) -> None:
        error = self.query_one("#q-error", Static)
        try:
            question = self.collected()
        except ValueError as exc:
            error.update(str(exc))
            return
        trial = SurveySpec(title="-", questions=list(self.survey.questions))
        if self.index < len(trial.questions) and trial.questions[self.index] is self.question:
            trial.questions[self.index] = question
        else:
            trial.questions.insert(self.index, question)
        place = where(self.index, question)
        mine = [p for p in problems(trial) if p.where == place]
        if mine:
            error.update("\n".join(f"{p.field}: {p.message}" for p in mine))
            return
        self.dismiss(question)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _text(value: int | None) -> str:
    return "" if value is None else str(value)
