"""The free-text answers to one question, newest first, narrowed as a search is typed; Space
chooses an answer to quote in the published report (★), or unchooses it.

For admins and editors only: the store refuses analysts, for a sentence can say who wrote it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from store.roles import Role

from ..i18n import _
from ..labels import thousands
from .base import PanelModal

if TYPE_CHECKING:
    from store.results import TextAnswer

SHOWN = 300  # answers drawn at once; a search finds the rest
QUOTED = "★ "
NOT_QUOTED = "  "


def answer_prompt(answer: TextAnswer) -> Text:
    """An answer as the list shows it: starred when it is quoted in the report."""
    prompt = Text(QUOTED if answer.quoted else NOT_QUOTED, style="bold" if answer.quoted else "")
    prompt.append(answer.text)
    return prompt


class TextAnswersScreen(PanelModal[None]):
    AUTO_FOCUS = "#text-search"
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
    TextAnswersScreen #text-list:focus {
        border: round $primary;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", _("Close"), id="text-close"),
        Binding("space,q", "quote", _("Quote in report"), id="text-quote"),
        Binding("slash", "search", _("Search"), id="text-search-key"),
        Binding("down", "to_list", _("To the answers"), id="text-to-list", show=False),
        Binding("pagedown", "page(1)", _("Page down"), id="text-page-down", show=False),
        Binding("pageup", "page(-1)", _("Page up"), id="text-page-up", show=False),
    ]

    def __init__(self, survey_id: int, question: str, text: str) -> None:
        super().__init__()
        self.survey_id = survey_id
        self.question = question
        self.text = text
        self.search = ""
        self.answers: dict[str, TextAnswer] = {}  # those listed, by option id
        self.total = 0  # answers found, listed or not

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="text-box"):
            yield Static(self.text, classes="dialog-title", markup=False)
            yield Input(placeholder=_("Search the answers…"), id="text-search")
            yield Static(_("Loading…"), id="text-count", markup=False)
            yield OptionList(id="text-list", markup=False)
            yield Static(
                _("★ quoted in the published report. Space chooses or unchooses an answer."),
                classes="hint",
                markup=False,
            )
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        in_list = isinstance(self.focused, OptionList)
        # False hides a key; None shows it dimmed.
        if action == "quote":
            if not self.actor.can(Role.admin, Role.editor):
                return False
            if not in_list:
                return None  # Space and q type into the search
            return True if self._highlighted() is not None else None
        if action == "search":
            return in_list
        if action == "to_list":
            return isinstance(self.focused, Input)
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    @on(OptionList.OptionHighlighted)
    def _highlighted_changed(self) -> None:
        self.refresh_bindings()

    # Reading ----------------------------------------------------------------------------------

    @on(Input.Changed, "#text-search")
    def _search(self, event: Input.Changed) -> None:
        self.search = event.value
        self._load()

    @on(Input.Submitted, "#text-search")
    def _searched(self) -> None:
        self.action_to_list()

    def _load(self) -> None:
        from store.results import text_answers

        actor, survey_id, question, search = self.actor, self.survey_id, self.question, self.search
        self.load(
            lambda backend: text_answers(
                backend.db, actor=actor, survey_id=survey_id, question=question, search=search
            ),
            lambda found: self._show(found, search),
        )

    def _show(self, found: list[TextAnswer], search: str) -> None:
        if search != self.search:
            return  # a newer search is on its way
        options = self.query_one("#text-list", OptionList)
        before = options.highlighted_option
        keep = before.id if before is not None else None  # stays highlighted if still listed
        self.total = len(found)
        listed = found[:SHOWN]
        self.answers = {str(answer.id): answer for answer in listed}
        options.clear_options()
        options.add_options(Option(answer_prompt(a), id=str(a.id)) for a in listed)
        if listed:
            at = options.get_option_index(keep) if keep in self.answers else 0
            options.highlighted = at
        self._count()
        self.refresh_bindings()

    def _count(self) -> None:
        n = thousands(self.total)
        search = self.search.strip()
        if search:
            count = _("{n} answers containing “{search}”").format(n=n, search=search)
        else:
            count = _("{n} answers, newest first").format(n=n)
        if self.total > SHOWN:
            count += " · " + _("the first {shown} shown: search to find the rest").format(
                shown=SHOWN
            )
        quoted = sum(1 for answer in self.answers.values() if answer.quoted)
        if quoted:
            count += " · " + _("{n} quoted").format(n=thousands(quoted))
        self.query_one("#text-count", Static).update(count)

    def _highlighted(self) -> TextAnswer | None:
        options = self.query_one("#text-list", OptionList)
        option = options.highlighted_option
        if option is None or option.id is None:
            return None
        return self.answers.get(option.id)

    # Acting -----------------------------------------------------------------------------------

    def action_quote(self) -> None:
        from dataclasses import replace

        from store.publishing import mark_quote

        answer = self._highlighted()
        if answer is None:
            return
        actor, wanted = self.actor, not answer.quoted

        def marked(_none: None) -> None:
            changed = replace(answer, quoted=wanted)
            key = str(answer.id)
            if key in self.answers:
                self.answers[key] = changed
                options = self.query_one("#text-list", OptionList)
                options.replace_option_prompt(key, answer_prompt(changed))
            self._count()

        self.store(
            lambda backend: mark_quote(backend.db, actor=actor, answer_id=answer.id, quoted=wanted),
            marked,
        )

    def action_search(self) -> None:
        self.query_one("#text-search", Input).focus()

    def action_to_list(self) -> None:
        options = self.query_one("#text-list", OptionList)
        if options.option_count:
            options.focus()

    def action_page(self, direction: int) -> None:
        options = self.query_one("#text-list", OptionList)
        if direction > 0:
            options.action_page_down()
        else:
            options.action_page_up()

    def action_close(self) -> None:
        self.dismiss(None)
