"""Home: the panel at a glance, counts by status for participants, surveys and the outbox."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static

from ..i18n import _
from ..labels import label, thousands
from .base import PanelScreen

PARTICIPANT_ORDER = ("active", "pending", "paused", "unsubscribed", "erased")
SURVEY_ORDER = ("draft", "open", "closed", "archived")
MESSAGE_ORDER = ("queued", "sending", "sent", "failed", "cancelled")


class HomeScreen(PanelScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", _("Refresh"), id="refresh"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static("", id="greeting")
            with Horizontal(id="glance"):
                for name, title in (
                    ("participants", _("Participants")),
                    ("surveys", _("Surveys")),
                    ("messages", _("Email")),
                ):
                    with Vertical(classes="glance-box"):
                        yield Static(title, classes="box-title")
                        table: DataTable = DataTable(id=name, cursor_type="none")
                        table.add_columns(_("Status"), _("Count"))
                        yield table
            yield Static(_("Press Ctrl+P for every command, F1 for all keys."), id="hint")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        def overview(backend):
            from store.overview import panel_overview

            return panel_overview(backend.db, actor=self.actor)

        self.load(overview, self._show)

    def _show(self, result) -> None:
        total = sum(result.participants.values())
        self.query_one("#greeting", Static).update(
            _("Logged in as {user}. The panel has {active} active of {total} participants.").format(
                user=self.actor.username,
                active=thousands(result.active_participants),
                total=thousands(total),
            )
        )
        for name, order, counts in (
            ("participants", PARTICIPANT_ORDER, result.participants),
            ("surveys", SURVEY_ORDER, result.surveys),
            ("messages", MESSAGE_ORDER, result.messages),
        ):
            table = self.query_one(f"#{name}", DataTable)
            table.clear()
            for status in order:
                table.add_row(label(status), thousands(counts.get(status, 0)), key=status)
