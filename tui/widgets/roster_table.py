"""A window onto the roster: the table holds only the rows on screen, whatever the roster's size.

The cursor is an index into the whole filtered roster; rows come from a small cache that the
screen fills on request (`WindowNeeded`), one block at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from ..i18n import _
from ..labels import label, local_time

if TYPE_CHECKING:
    from store.roster import RosterPage, RosterRow

CACHE_LIMIT = 600  # rows kept around the window; memory does not grow with the roster


def columns() -> list[tuple[str, str, int]]:
    """(sort key, heading, width) of each column."""
    return [
        ("name", _("Name"), 24),
        ("email", _("Email"), 28),
        ("gender", _("Gender"), 7),
        ("age", _("Age"), 4),
        ("district", _("District"), 12),
        ("interests", _("Interests"), 22),
        ("status", _("Status"), 12),
        ("source", _("Source"), 16),
        ("last_contacted", _("Last contacted"), 16),
    ]


class RosterTable(DataTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "move(1)", _("Down"), show=False),
        Binding("up,k", "move(-1)", _("Up"), show=False),
        Binding("pagedown", "page(1)", _("Page down"), show=False),
        Binding("pageup", "page(-1)", _("Page up"), show=False),
        Binding("home,g", "jump(0)", _("First"), show=False),
        Binding("end,G", "jump(-1)", _("Last"), show=False),
        Binding("enter", "open", _("Open"), id="roster-open"),
    ]

    @dataclass
    class WindowNeeded(Message):
        """Rows `offset` to `offset + limit` are wanted."""

        offset: int
        limit: int

    @dataclass
    class Opened(Message):
        participant_id: int

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.matching = 0
        self.position = 0
        self.window_start = 0
        self._rows: dict[int, RosterRow] = {}
        self._requested: tuple[int, int] | None = None

    def on_mount(self) -> None:
        for key, heading, width in columns():
            self.add_column(heading, width=width, key=key)

    @property
    def visible(self) -> int:
        return max(1, self.size.height - 1)  # less the header row

    def reset(self, page: RosterPage) -> None:
        """A new filter or sort: forget the cached rows, start at the top."""
        self._rows.clear()
        self._requested = None
        self.position = self.window_start = 0
        self.matching = page.matching
        self.add_page(page)

    def add_page(self, page: RosterPage) -> None:
        for index, row in enumerate(page.rows, start=page.offset):
            self._rows[index] = row
        if len(self._rows) > CACHE_LIMIT:
            far = sorted(self._rows, key=lambda i: abs(i - self.window_start), reverse=True)
            for index in far[: len(self._rows) - CACHE_LIMIT]:
                del self._rows[index]
        self._requested = None
        self.paint()

    def selected(self) -> RosterRow | None:
        return self._rows.get(self.position)

    def on_screen(self) -> list[list[str]]:
        """The cells of the rows shown, as text."""
        return [[str(cell) for cell in self.get_row_at(i)] for i in range(self.row_count)]

    def paint(self) -> None:
        end = min(self.window_start + self.visible, self.matching)
        missing = [i for i in range(self.window_start, end) if i not in self._rows]
        if missing:
            self._request(missing[0])
        with self.app.batch_update():
            self.clear()
            for index in range(self.window_start, end):
                row = self._rows.get(index)
                self.add_row(*(_cells(row) if row else ["…"] + [""] * 8), key=str(index))
            if self.row_count:
                self.move_cursor(row=self.position - self.window_start, animate=False)

    def _request(self, first: int) -> None:
        start = max(0, first - self.visible)
        window = (start, self.visible * 3)
        if self._requested != window:
            self._requested = window
            self.post_message(self.WindowNeeded(*window))

    def on_resize(self) -> None:
        self._follow_cursor()
        self.paint()

    def _follow_cursor(self) -> None:
        if self.position < self.window_start:
            self.window_start = self.position
        elif self.position >= self.window_start + self.visible:
            self.window_start = self.position - self.visible + 1
        self.window_start = max(0, min(self.window_start, max(0, self.matching - self.visible)))

    def go_to(self, index: int) -> None:
        if self.matching == 0:
            return
        self.position = max(0, min(index, self.matching - 1))
        self._follow_cursor()
        self.paint()

    def action_move(self, step: int) -> None:
        self.go_to(self.position + step)

    def action_page(self, direction: int) -> None:
        self.go_to(self.position + direction * self.visible)

    def action_jump(self, where: int) -> None:
        self.go_to(self.matching - 1 if where < 0 else 0)

    def action_open(self) -> None:
        row = self.selected()
        if row is not None:
            self.post_message(self.Opened(row.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """A click on a row (Enter is bound to `open` above) opens it too."""
        event.stop()
        self.position = self.window_start + event.cursor_row
        self.action_open()


def _cells(row: RosterRow) -> list[str]:
    return [
        row.name,
        row.email,
        label(row.gender) if row.gender else "–",
        str(row.age) if row.age is not None else "–",
        row.district or "–",
        row.interests,
        label(row.status),
        row.source or "–",
        local_time(row.last_contacted_at),
    ]
