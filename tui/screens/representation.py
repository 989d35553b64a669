"""Who the panel is missing: active participants against the population, and where sign-ups
come from by age, one tab each for age band, gender, district and recruitment source."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from ..i18n import _
from ..labels import label, thousands
from .base import PanelScreen

if TYPE_CHECKING:
    from store.population import Dimension, Representation, SourceRow, SourceTable

DIMENSIONS = ("age", "gender", "district")
TABS = (*DIMENSIONS, "sources")


def percent(share: float | None, decimals: int = 1) -> str:
    return "–" if share is None else f"{share * 100:.{decimals}f}%"


def ratio_text(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:.2f}"


def right(text: str) -> Text:
    return Text(text, justify="right")


class RepresentationScreen(PanelScreen):
    DEFAULT_CSS = """
    RepresentationScreen #representation-summary {
        padding: 0 1;
        height: auto;
    }
    RepresentationScreen TabbedContent {
        height: 1fr;
    }
    RepresentationScreen TabPane {
        height: 1fr;
        padding: 0;
    }
    RepresentationScreen DataTable {
        height: 1fr;
    }
    RepresentationScreen .representation-note {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "tab('age')", _("Age"), id="representation-age"),
        Binding("2", "tab('gender')", _("Gender"), id="representation-gender"),
        Binding("3", "tab('district')", _("District"), id="representation-district"),
        Binding("4", "tab('sources')", _("Sources"), id="representation-sources"),
        Binding("r", "refresh", _("Refresh"), id="representation-refresh"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Who the panel is missing"), classes="screen-title")
        yield Static(_("Loading…"), id="representation-summary")
        titles = {
            "age": _("Age"),
            "gender": _("Gender"),
            "district": _("District"),
            "sources": _("Sources"),
        }
        with TabbedContent(id="representation-tabs", initial="age"):
            for name in TABS:
                with TabPane(titles[name], id=name):
                    yield DataTable(id=f"table-{name}", cursor_type="row", zebra_stripes=True)
                    yield Static("", id=f"note-{name}", classes="representation-note")
        yield Footer()

    def on_mount(self) -> None:
        self.panel.seen.add("representation")
        for name in DIMENSIONS:
            self.query_one(f"#table-{name}", DataTable).add_columns(
                _("Group"), _("In panel"), _("Panel share"), _("Population"), _("Ratio"), ""
            )
        self.query_one("#note-sources", Static).update(
            _(
                "Everyone recruited, whatever their status now. The share of the youngest "
                "band counts those whose age is known."
            )
        )

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        actor = self.actor

        def figures(backend):
            from store.population import representation, signups_by_source

            return (
                representation(backend.db, actor=actor),
                signups_by_source(backend.db, actor=actor),
            )

        self.load(figures, self._show)

    def action_tab(self, name: str) -> None:
        """Show a tab and put the cursor in its table; ← → on the tab bar work too."""
        self.query_one(TabbedContent).active = name
        self.query_one(f"#table-{name}", DataTable).focus()

    def _show(self, result: tuple[Representation, SourceTable]) -> None:
        figures, sources = result
        self._summary(figures)
        flag_style = self.app.get_css_variables().get("text-warning", "yellow")
        self._fill("age", figures.age, flag_style)
        self._fill("gender", figures.gender, flag_style)
        self._fill("district", figures.district, flag_style)
        self._fill_sources(sources)

    def _summary(self, figures: Representation) -> None:
        summary = self.query_one("#representation-summary", Static)
        if not figures.population_loaded:
            summary.update(
                _(
                    "{active} active participants. No population figures are loaded: run "
                    "`panel population import FILE` on the server to compare with them."
                ).format(active=thousands(figures.active))
            )
            return
        summary.update(
            _(
                "{active} active participants against {population} residents ({source}). "
                "▼ marks groups whose panel share is below {threshold} of their "
                "population share."
            ).format(
                active=thousands(figures.active),
                population=thousands(figures.population_total),
                source=figures.population_source or "–",
                threshold=percent(figures.threshold, decimals=0),
            )
        )

    def _fill(self, name: str, dimension: Dimension, flag_style: str) -> None:
        table = self.query_one(f"#table-{name}", DataTable)
        table.clear()
        flag = Text("▼ " + _("under-represented"), style=f"bold {flag_style}")
        for row in dimension.rows:
            table.add_row(
                label(row.group) if name == "gender" else row.group,
                right(thousands(row.panel)),
                right(percent(row.panel_share)),
                right(percent(row.population_share)),
                right(ratio_text(row.ratio)),
                flag if row.under else "",
                key=row.group,
            )
        self.query_one(f"#note-{name}", Static).update(self._left_out(name, dimension.unknown))

    @staticmethod
    def _left_out(name: str, unknown: int) -> str:
        if not unknown:
            return ""
        text = {
            "age": _("{count} active participants with no birth year, or under 16, are left out."),
            "gender": _("{count} active participants with no gender given are left out."),
            "district": _("{count} active participants with no district given are left out."),
        }[name]
        return text.format(count=thousands(unknown))

    def _fill_sources(self, sources: SourceTable) -> None:
        table = self.query_one("#table-sources", DataTable)
        table.clear(columns=True)
        youngest = sources.bands[0]
        table.add_columns(_("Source"), f"% {youngest}", *sources.bands, _("Unknown"), _("Total"))
        for row in sources.rows:
            table.add_row(*self._source_cells(row.source or _("(none given)"), row))
        table.add_row(*self._source_cells(_("All sources"), sources.all), key="all")

    @staticmethod
    def _source_cells(name: str, row: SourceRow) -> list[Text | str]:
        return [
            name,
            right(percent(row.young_share)),
            *(right(thousands(count)) for count in row.bands),
            right(thousands(row.unknown_age)),
            right(thousands(row.total)),
        ]
