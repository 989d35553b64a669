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
            yield Static("", id="guide", markup=False)
            yield Static(_("Press Ctrl+P for every command, F1 for all keys."), id="hint")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def on_mount(self) -> None:
        self.query_one("#guide").display = bool(self.panel.guide)

    def action_refresh(self) -> None:
        def overview(backend):
            from store.overview import panel_overview

            return panel_overview(backend.db, actor=self.actor)

        self.load(overview, self._show)
        if self.panel.guide:
            from store.walkthrough import walkthrough

            self.store(
                lambda backend: walkthrough(backend.db, actor=self.actor),
                self._show_guide,
                group="guide",
            )

    def _show_guide(self, done) -> None:
        guide = self.panel.guide or {}
        seen = self.panel.seen
        steps = [
            (True, _("Log in.")),
            ("representation" in seen, _("See whom the panel is missing: F7.")),
            (
                done.sent,
                _(
                    "Send the climate survey again, to a stratified sample: F4, choose "
                    "“Klima i Bærum”, d makes a copy, o opens it, s sends it (a sample of 100, "
                    "stratified; Ctrl+R shows each group's share, Ctrl+S sends)."
                ),
            ),
            (
                done.delivered > 0,
                _("Watch the emails go out: F5. They arrive in the Maildir {path}.").format(
                    path=guide.get("maildir", "")
                ),
            ),
            (
                done.answered > 0,
                _("Open the link in one of them in a browser, and answer the survey."),
            ),
            (
                done.answered > 0 and "results" in seen,
                _("Watch the results change: F4, then R on the survey."),
            ),
            (
                done.published,
                _(
                    "Close the survey (c), then publish what was learned: R, then p. The report "
                    "appears at {url}/resultater."
                ).format(url=guide.get("site", "")),
            ),
        ]
        lines = [_("The whole loop, step by step (this demo's guide):")]
        lines += [
            f"{'✓' if ok else '·'} {n}. {text}" for n, (ok, text) in enumerate(steps, start=1)
        ]
        self.query_one("#guide", Static).update("\n".join(lines))

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
