"""The roster's filter dialog: one choice per field, each "any" by default."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Label, Select, Static

from ..i18n import N_, _
from ..labels import label
from .base import PanelModal

FILTER_FIELDS = (
    ("status", N_("Status")),
    ("gender", N_("Gender")),
    ("age_band", N_("Age")),
    ("district", N_("District")),
    ("interest", N_("Interest")),
    ("source", N_("Source")),
)


class FilterScreen(PanelModal):
    """Returns the new `RosterFilter`, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", _("Apply"), id="filter-apply"),
        Binding("ctrl+r", "reset", _("Any for all"), id="filter-reset"),
        Binding("escape", "cancel", _("Cancel"), id="filter-cancel"),
    ]

    def __init__(self, current, choices: dict[str, list[str]]) -> None:
        super().__init__()
        self.current = current
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Filter the roster"), classes="dialog-title")
            for field, title in FILTER_FIELDS:
                with Horizontal(classes="field"):
                    yield Label(_(title))
                    options = [
                        (label(value) if field in ("status", "gender") else value, value)
                        for value in self.choices.get(field, [])
                    ]
                    current = getattr(self.current, field)
                    known = {value for _label, value in options}
                    yield Select(
                        options,
                        prompt=_("any"),
                        value=current if current in known else Select.NULL,
                        id=f"filter-{field}",
                        compact=True,
                    )
            with Horizontal(classes="buttons"):
                yield Button(_("Apply"), id="apply", variant="primary")
                yield Button(_("Cancel"), id="cancel")
        yield Footer()

    def _chosen(self) -> dict[str, str]:
        values = {}
        for field, _title in FILTER_FIELDS:
            value = self.query_one(f"#filter-{field}", Select).value
            values[field] = "" if value is Select.NULL else str(value)
        return values

    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        self.dismiss(self.current.with_(**self._chosen()))

    def action_reset(self) -> None:
        for select in self.query(Select):
            select.clear()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
