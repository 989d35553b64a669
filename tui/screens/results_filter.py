"""Whose answers the results show: everyone, or one gender, age band, district or interest."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Label, Select, Static

from store.reference import AGE_BANDS, GENDERS
from store.results import Subgroup

from ..i18n import N_, _
from ..labels import label
from .base import PanelModal

FIELDS = (
    ("gender", N_("Gender")),
    ("age_band", N_("Age")),
    ("district", N_("District")),
    ("interest", N_("Interest")),
)


class ResultsFilter(PanelModal[Subgroup | None]):
    """Returns the subgroup chosen (empty for everyone), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", _("Apply"), id="results-filter-apply"),
        Binding("ctrl+r", "everyone", _("Everyone"), id="results-filter-everyone"),
        Binding("escape", "cancel", _("Cancel"), id="results-filter-cancel"),
    ]

    def __init__(
        self, current: Subgroup, *, districts: list[str], interests: list[str] | None
    ) -> None:
        """`interests` is None for an anonymous survey, whose answers are linked to none."""
        super().__init__()
        self.current = current
        self.choices: dict[str, list[tuple[str, str]]] = {
            "gender": [(label(g), g) for g in GENDERS],
            "age_band": [(band, band) for band, _low, _high in AGE_BANDS],
            "district": [(d, d) for d in districts],
        }
        if interests is not None:
            self.choices["interest"] = [(i, i) for i in interests]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Show the answers of"), classes="dialog-title")
            for field, title in FIELDS:
                if field not in self.choices:
                    continue
                options = self.choices[field]
                current = getattr(self.current, field)
                known = {value for _text, value in options}
                with Horizontal(classes="field"):
                    yield Label(_(title))
                    yield Select(
                        options,
                        prompt=_("everyone"),
                        value=current if current in known else Select.NULL,
                        id=f"results-{field}",
                        compact=True,
                    )
            yield Static(_("Those who answered and match every choice made here."), classes="hint")
            with Horizontal(classes="buttons"):
                yield Button(_("Apply"), id="apply", variant="primary")
                yield Button(_("Everyone"), id="everyone")
                yield Button(_("Cancel"), id="cancel")
        yield Footer()

    def chosen(self) -> Subgroup:
        values: dict[str, str | None] = {}
        for field in self.choices:
            value = self.query_one(f"#results-{field}", Select).value
            values[field] = None if value is Select.NULL else str(value)
        return Subgroup(**values)

    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    @on(Button.Pressed, "#everyone")
    def action_everyone(self) -> None:
        self.dismiss(Subgroup())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
