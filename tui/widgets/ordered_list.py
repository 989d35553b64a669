"""A list staff rearrange by keyboard: add, edit, copy, delete, and move an item up or down.

The list shows; its owner keeps the items. Each key posts a `Command` naming the action and
the highlighted index, and the owner changes its data and calls `show` again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList

from ..i18n import _


class OrderedList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "command('add')", _("Add")),
        Binding("e", "command('edit')", _("Edit")),
        Binding("c", "command('copy')", _("Copy")),
        Binding("delete,x", "command('delete')", _("Delete")),
        Binding("K,shift+up", "command('up')", _("Move ↑")),
        Binding("J,shift+down", "command('down')", _("Move ↓")),
    ]

    @dataclass
    class Command(Message):
        ordered_list: OrderedList
        action: str  # add, edit, copy, delete, up, down
        index: int | None  # the highlighted item, None when the list is empty

        @property
        def control(self) -> OrderedList:
            return self.ordered_list

    def __init__(self, *, can_copy: bool = True, empty: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.can_copy = can_copy
        self.empty = empty

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "command" and parameters:
            wanted = parameters[0]
            if wanted == "copy" and not self.can_copy:
                return None
            if wanted != "add" and self.highlighted is None:
                return False
        return super().check_action(action, parameters)

    def action_command(self, action: str) -> None:
        self.post_message(self.Command(self, action, self.highlighted))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Command(self, "edit", event.option_index))

    def show(self, prompts: list[Text | str], highlight: int | None = None) -> None:
        """Show `prompts` (plain strings are shown as they are, never read as markup)."""
        self.clear_options()
        if not prompts and self.empty:
            self.add_option(Text(self.empty, style="dim"))
            self.disable_option_at_index(0)
            return
        self.add_options(Text(p) if isinstance(p, str) else p for p in prompts)
        if prompts:
            self.highlighted = max(0, min(highlight or 0, len(prompts) - 1))
        self.refresh_bindings()


def moved(items: list, action: str, index: int) -> int | None:
    """Move `items[index]` one step for "up" or "down" in place; its new index, or None."""
    target = index - 1 if action == "up" else index + 1
    if not 0 <= target < len(items):
        return None
    items[index], items[target] = items[target], items[index]
    return target
