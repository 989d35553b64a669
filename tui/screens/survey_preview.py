"""A survey as a resident meets it: the introduction, one question at a time, then the thanks.

Conditions are applied as answers are given, and a required question cannot be passed
unanswered, by the same rules the residents' pages follow. Nothing is saved.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, RadioButton, RadioSet, SelectionList, Static

from store.survey_spec import DEFAULT_TEXT_LIMIT, QuestionSpec, SurveySpec, answer_problem, visible

from ..i18n import _
from .base import PanelScreen


def problem_text(code: str, figure: int | None) -> str:
    """A resident-facing reason, in the staff's language (the pages word it for residents)."""
    return {
        "required": _("This question must be answered."),
        "choose_one": _("Choose one of the options."),
        "choose_among": _("Choose among the options."),
        "too_long": _("Write at most {n} characters.").format(n=figure),
        "not_a_number": _("Write a number."),
        "scale": _("Choose a point on the scale."),
        "too_low": _("The lowest allowed is {n}.").format(n=figure),
        "too_high": _("The highest allowed is {n}.").format(n=figure),
    }.get(code, code)


class Choices(RadioSet):
    """Radio buttons whose keyboard highlight starts on the chosen one (or the first)."""

    def on_mount(self) -> None:
        # RadioSet keeps its highlight in `_selected`, None until an arrow key is pressed, so
        # that Up from nothing jumps to the last button; start it where the reader is.
        self._selected = max(self.pressed_index, 0)


class SurveyPreview(PanelScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", _("Next"), id="preview-next", priority=True),
        Binding("ctrl+b", "back", _("Back"), id="preview-back", priority=True),
        Binding("escape", "close", _("Close preview"), id="preview-close"),
    ]

    def __init__(self, spec: SurveySpec) -> None:
        super().__init__()
        self.spec = spec
        self.answers: dict[str, Any] = {}
        self.step = 0  # 0: introduction; 1..n: the n-th question asked; n+1: thanks

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="preview"):
            yield Static(_("Preview: nothing you answer here is saved"), classes="hint")
            yield Static("", id="preview-progress")
            yield Vertical(id="preview-page")
            yield Static("", classes="form-error", id="preview-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._show()

    def asked(self) -> list[QuestionSpec]:
        return visible(self.spec, self.answers)

    def current(self) -> QuestionSpec | None:
        asked = self.asked()
        return asked[self.step - 1] if 1 <= self.step <= len(asked) else None

    def _show(self) -> None:
        asked = self.asked()
        page = self.query_one("#preview-page", Vertical)
        page.remove_children()
        self.query_one("#preview-error", Static).update("")
        progress = self.query_one("#preview-progress", Static)
        if self.step == 0:
            progress.update("")
            page.mount(
                Static(self.spec.title or _("(no title)"), classes="screen-title", markup=False),
                Static(self.spec.intro, markup=False),
                Static(_("Ctrl+N starts the survey."), classes="hint"),
            )
            return
        if self.step > len(asked):
            progress.update(_("Done"))
            page.mount(
                Static(self.spec.thanks or _("Thank you for your answers!"), markup=False),
                Static(_("Ctrl+B goes back; Escape closes the preview."), classes="hint"),
            )
            return
        question = asked[self.step - 1]
        progress.update(
            _("Question {n} of {total}").format(n=self.step, total=len(asked))
            + ("  " + _("(required)") if question.required else "")
        )
        control = self._control(question, self.answers.get(question.key))
        page.mount(Static(question.text, classes="preview-question", markup=False), *control)
        page.call_after_refresh(self._focus_control)

    def _focus_control(self) -> None:
        for widget in self.query(".answer"):
            self.set_focus(widget)

    def _control(self, q: QuestionSpec, given: Any) -> list[Widget]:
        if q.kind == "single":
            return [
                Choices(
                    *(RadioButton(label, value=label == given) for label in q.labels),
                    classes="answer",
                )
            ]
        if q.kind == "multiple":
            chosen = given or []
            return [SelectionList[str](*((o, o, o in chosen) for o in q.labels), classes="answer")]
        if q.kind == "scale":
            low, high = q.min_value or 0, q.max_value or 0
            points = []
            for point in range(low, high + 1):
                text = str(point)
                if point == low and q.min_label:
                    text += f"  {q.min_label}"
                if point == high and q.max_label:
                    text += f"  {q.max_label}"
                points.append(RadioButton(text, value=str(point) == str(given)))
            return [Choices(*points, classes="answer")]
        if q.kind == "text":
            limit = q.max_length or DEFAULT_TEXT_LIMIT
            return [
                Input(given or "", classes="answer", max_length=limit),
                Static(_("At most {n} characters.").format(n=limit), classes="hint"),
            ]
        bounds = []
        if q.min_value is not None:
            bounds.append(_("from {n}").format(n=q.min_value))
        if q.max_value is not None:
            bounds.append(_("to {n}").format(n=q.max_value))
        return [
            Input("" if given is None else str(given), classes="answer"),
            Static(" ".join(bounds), classes="hint"),
        ]

    def _read(self, q: QuestionSpec) -> Any:
        widgets = list(self.query(".answer"))
        if not widgets:
            return None
        widget = widgets[0]
        if isinstance(widget, RadioSet):
            index = widget.pressed_index
            if index < 0:
                return None
            if q.kind == "single":
                return q.labels[index]
            return str((q.min_value or 0) + index)
        if isinstance(widget, SelectionList):
            return list(widget.selected)
        if isinstance(widget, Input):
            return widget.value.strip() or None
        return None

    def action_next(self) -> None:
        question = self.current()
        if question is not None:
            given = self._read(question)
            problem = answer_problem(question, given)
            if problem is not None:
                self.query_one("#preview-error", Static).update(problem_text(*problem))
                return
            self.answers[question.key] = given
            self._forget_hidden()
        if self.step <= len(self.asked()):
            self.step += 1
            self._show()

    def _forget_hidden(self) -> None:
        """An answer to a question no longer asked (a condition changed) is dropped."""
        asked = {q.key for q in self.asked()}
        for key in list(self.answers):
            if key not in asked:
                del self.answers[key]

    def action_back(self) -> None:
        question = self.current()
        if question is not None:
            self.answers[question.key] = self._read(question)
        if self.step > 0:
            self.step -= 1
            self._show()

    @on(Input.Submitted, ".answer")
    def _entered(self) -> None:
        self.action_next()

    def action_close(self) -> None:
        self.app.pop_screen()
