"""The free-text answers to one question, newest first, narrowed as a search is typed.

For admins and editors only: the store refuses analysts, for a sentence can say who wrote it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Footer, Input, Static

from ..i18n import _
from ..labels import thousands
from .base import PanelModal

SHOWN = 300  # answers drawn at once; a search finds the rest


class TextAnswersScreen(PanelModal[None]):
    DEFAULT_CSS = """
    TextAnswersScreen #text-box {
        height: 90%;
    }
    TextAnswersScreen #text-search {
        margin: 1 0 0 0;
    }
    TextAnswersScreen #text-list {
        height: 1fr;
        border: round $panel-lighten-2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", _("Close"), id="text-close"),
        Binding("pagedown", "page(1)", _("Page down"), id="text-page-down", show=False),
        Binding("pageup", "page(-1)", _("Page up"), id="text-page-up", show=False),
    ]

    def __init__(self, survey_id: int, question: str, text: str) -> None:
        super().__init__()
        self.survey_id = survey_id
        self.question = question
        self.text = text
        self.search = ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="text-box"):
            yield Static(self.text, classes="dialog-title", markup=False)
            yield Input(placeholder=_("Search the answers…"), id="text-search")
            yield Static(_("Loading…"), id="text-count", markup=False)
            with VerticalScroll(id="text-list"):
                yield Static("", id="text-answers", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @on(Input.Changed, "#text-search")
    def _search(self, event: Input.Changed) -> None:
        self.search = event.value
        self._load()

    def _load(self) -> None:
        from store.results import text_answers

        actor, survey_id, question, search = self.actor, self.survey_id, self.question, self.search
        self.load(
            lambda backend: text_answers(
                backend.db, actor=actor, survey_id=survey_id, question=question, search=search
            ),
            lambda texts: self._show(texts, search),
        )

    def _show(self, texts: list[str], search: str) -> None:
        if search != self.search:
            return  # a newer search is on its way
        n = thousands(len(texts))
        if search.strip():
            count = _("{n} answers containing “{search}”").format(n=n, search=search.strip())
        else:
            count = _("{n} answers, newest first").format(n=n)
        if len(texts) > SHOWN:
            count += " · " + _("the first {shown} shown: search to find the rest").format(
                shown=SHOWN
            )
        self.query_one("#text-count", Static).update(count)
        body = Text()
        for number, answer in enumerate(texts[:SHOWN]):
            if number:
                body.append("\n")
            body.append("• ", style="dim")
            body.append(answer)
        self.query_one("#text-answers", Static).update(body)
        self.query_one("#text-list", VerticalScroll).scroll_home(animate=False)

    def action_page(self, direction: int) -> None:
        answers = self.query_one("#text-list", VerticalScroll)
        if direction > 0:
            answers.scroll_page_down(animate=False)
        else:
            answers.scroll_page_up(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
