"""The participant roster: search as you type, filters, sorting, and a window of rows."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Input, Static

from ..i18n import _
from ..labels import label, thousands
from ..widgets.roster_table import RosterTable, columns
from .base import PanelScreen
from .roster_filters import FILTER_FIELDS, FilterScreen

BLOCK = 120  # rows fetched per scrolling request: a few screens' worth
FIRST = 60  # rows fetched with a new filter: a screenful and some, so typing stays quick


class RosterScreen(PanelScreen):
    AUTO_FOCUS = "#roster"
    BINDINGS: ClassVar[list[BindingType]] = [
        # A priority binding acts as the key is read, so what is typed next lands in the field.
        Binding("slash", "search", _("Search"), id="roster-search", priority=True),
        Binding("f", "filters", _("Filter"), id="roster-filter"),
        Binding("s", "sort(1)", _("Sort"), id="roster-sort"),
        Binding("S", "reverse", _("Reverse"), id="roster-reverse", show=False),
        Binding("c", "clear", _("Clear"), id="roster-clear", show=False),
        Binding("a", "add", _("Add"), id="roster-add"),
        Binding("i", "import_file", _("Import"), id="roster-import", show=False),
        Binding("x", "export", _("Export"), id="roster-export", show=False),
        Binding("escape", "to_table", _("To table"), id="roster-table", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        from store.roster import RosterFilter

        self.filter = RosterFilter()
        self.sort = "name"
        self.descending = False
        self.generation = 0  # bumped by every new filter or sort; stale answers are dropped
        self.total: int | None = None  # everyone on the roster, counted on opening

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="roster-bar"):
            yield Input(placeholder=_("Search name or email (/)"), id="roster-search")
            yield Static("", id="roster-count")
        yield Static("", id="roster-filters")
        yield RosterTable(id="roster")
        yield Footer()

    def on_screen_resume(self) -> None:
        """On opening, and on coming back from a participant: the data may have changed."""
        self.reload(keep_cursor=self.total is not None)

    # Loading ----------------------------------------------------------------------------------

    def _page(self, **window):
        """A store call for rows of the roster as filtered and sorted right now."""
        from store.roster import roster_page

        actor, f, sort, descending = self.actor, self.filter, self.sort, self.descending
        return lambda backend: roster_page(
            backend.db, actor=actor, filter=f, sort=sort, descending=descending, **window
        )

    def reload(self, *, keep_cursor: bool = False) -> None:
        """Fetch the first rows and the counts anew; everyone's count only when data may change."""
        self.generation += 1
        generation = self.generation
        table = self.query_one(RosterTable)
        cursor = table.position if keep_cursor else 0
        known_total = self.total if not keep_cursor else None
        page = self._page(
            offset=max(0, cursor - FIRST // 2), limit=FIRST, total=known_total is None
        )

        def show(result) -> None:
            if generation != self.generation:
                return
            self.total = result.total if known_total is None else known_total
            table.reset(result)
            if keep_cursor:
                table.go_to(cursor)
            self._show_counts(result.matching, self.total)

        self.load(page, show)
        self._show_filters()

    @on(RosterTable.WindowNeeded)
    def _window(self, event: RosterTable.WindowNeeded) -> None:
        generation = self.generation
        page = self._page(offset=event.offset, limit=max(event.limit, BLOCK), count=False)

        def show(result) -> None:
            if generation == self.generation:
                self.query_one(RosterTable).add_page(result)

        self.store(page, show, group="window", exclusive=True)

    def _show_counts(self, matching: int, total: int) -> None:
        self.query_one("#roster-count", Static).update(
            _("{matching} of {total}").format(matching=thousands(matching), total=thousands(total))
        )

    def _show_filters(self) -> None:
        names = dict(FILTER_FIELDS)
        chosen = [
            f"{_(names[field])}: {label(value) if field in ('status', 'gender') else value}"
            for field, _title in FILTER_FIELDS
            if (value := getattr(self.filter, field))
        ]
        heading = dict((key, title) for key, title, _w in columns())[self.sort]
        order = "▼" if self.descending else "▲"
        text = _("Sorted by {column} {order}").format(column=heading, order=order)
        if chosen:
            text += " · " + " · ".join(chosen)
        self.query_one("#roster-filters", Static).update(text)

    # Actions ----------------------------------------------------------------------------------

    @on(Input.Changed, "#roster-search")
    def _search(self, event: Input.Changed) -> None:
        if event.value != self.filter.search:
            self.filter = self.filter.with_(search=event.value)
            self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "/" typed into the search is text; Escape leaves the search only from within it.
        in_search = isinstance(self.focused, Input)
        return {"search": not in_search, "to_table": in_search}.get(action, True)

    # `set_focus` moves focus at once (`focus()` waits a turn), so keys typed right after
    # the `/` land in the search field, however fast they come.
    @on(Input.Submitted, "#roster-search")
    def action_to_table(self) -> None:
        self.set_focus(self.query_one(RosterTable))

    def action_search(self) -> None:
        self.set_focus(self.query_one("#roster-search", Input))

    def action_sort(self, step: int) -> None:
        keys = [key for key, _title, _width in columns() if key != "interests"]
        self.sort = keys[(keys.index(self.sort) + step) % len(keys)]
        self.reload()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self.reload()

    def action_clear(self) -> None:
        from store.roster import RosterFilter

        self.filter = RosterFilter()
        self.query_one("#roster-search", Input).value = ""
        self.reload()

    def action_filters(self) -> None:
        from store.roster import filter_choices

        def open_dialog(choices) -> None:
            self.app.push_screen(FilterScreen(self.filter, choices), self._filtered)

        self.store(lambda backend: filter_choices(backend.db, actor=self.actor), open_dialog)

    def _filtered(self, chosen) -> None:
        if chosen is not None and chosen != self.filter:
            self.filter = chosen
            self.reload()

    @on(RosterTable.Opened)
    def _open(self, event: RosterTable.Opened) -> None:
        from .participant import ParticipantScreen

        self.app.push_screen(ParticipantScreen(event.participant_id))

    def action_add(self) -> None:
        from .participant import ParticipantScreen

        self.app.push_screen(ParticipantScreen(None))

    def action_import_file(self) -> None:
        from ..cli_import import result_text
        from .import_dialog import ImportDialog

        def imported(result) -> None:
            if result is not None:
                self.notify(result_text(result))
                self.total = None  # everyone's count changed
                self.reload()

        self.app.push_screen(ImportDialog(), imported)

    def action_export(self) -> None:
        from .roster_export import ExportScreen

        self.app.push_screen(ExportScreen(self.filter))
