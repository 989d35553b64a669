"""The audit log, for admins: newest first, a page at a time, filtered by kind of action."""

from __future__ import annotations

import json
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Input, Static

from ..i18n import _
from ..labels import local_time
from .base import PanelScreen

PAGE = 200


class AuditLogScreen(PanelScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("/", "filter", _("Filter"), id="audit-filter"),
        Binding("]", "page(1)", _("Older"), id="audit-older"),
        Binding("[", "page(-1)", _("Newer"), id="audit-newer"),
        Binding("r", "refresh", _("Refresh"), id="audit-refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page = 0
        self.prefix = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Audit log"), classes="screen-title", id="audit-title")
        yield Input(
            placeholder=_("Show actions starting with… (e.g. login, staff)"),
            id="audit-prefix",
            classes="hidden",
        )
        table: DataTable = DataTable(id="audit", cursor_type="row", zebra_stripes=True)
        table.add_columns(_("When"), _("Who"), _("Action"), _("Record"), _("Details"))
        yield table
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        page, prefix = self.page, self.prefix

        def events(backend):
            from store.audit import list_events

            return list_events(
                backend.db, actor=self.actor, limit=PAGE, offset=page * PAGE, action_prefix=prefix
            )

        self.load(events, self._show)

    def _show(self, events) -> None:
        table = self.query_one("#audit", DataTable)
        table.clear()
        for event in events:
            record = f"{event.target_kind} {event.target_id}" if event.target_kind else ""
            detail = json.dumps(event.detail, ensure_ascii=False) if event.detail else ""
            table.add_row(
                local_time(event.at), event.actor_name or "–", event.action, record, detail
            )
        title = _("Audit log, page {page}").format(page=self.page + 1)
        if self.prefix:
            title += " · " + _("actions starting with “{prefix}”").format(prefix=self.prefix)
        self.query_one("#audit-title", Static).update(title)

    def action_page(self, step: int) -> None:
        self.page = max(0, self.page + step)
        self.action_refresh()

    def action_filter(self) -> None:
        field = self.query_one("#audit-prefix", Input)
        field.remove_class("hidden")
        field.focus()

    @on(Input.Submitted, "#audit-prefix")
    def _filter(self, event: Input.Submitted) -> None:
        self.prefix = event.value.strip()
        self.page = 0
        if not self.prefix:
            event.input.add_class("hidden")
        self.query_one("#audit", DataTable).focus()
        self.action_refresh()
