"""The dispatch queue: what is waiting, going out, sent and failed, and the hand on the tap.

Counts by survey, kind and state; the newest send's progress and the current rate; the
messages page by page. Pause and resume sending, retry the failed, cancel the waiting, read a
message as it was sent, and send a test email to yourself. The screen refreshes itself.
"""

from __future__ import annotations

from collections import defaultdict
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static

from ..i18n import N_, _
from ..labels import label, local_time, thousands
from .base import PanelScreen
from .confirm import ConfirmScreen

STATES = ("queued", "sending", "sent", "failed", "cancelled")
KINDS = {
    "invitation": N_("invitation"),
    "reminder": N_("reminder"),
    "follow-up": N_("follow-up"),
    "test": N_("test"),
    "confirmation": N_("confirmation"),
    "workshop": N_("workshop"),
}
PAGE = 50
REFRESH_SECONDS = 2.0


def kind_label(kind: str) -> str:
    return _(KINDS.get(kind, kind))


class DispatchScreen(PanelScreen):
    AUTO_FOCUS = "#dispatch-messages"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "view", _("View"), id="dispatch-view"),
        Binding("p", "pause", _("Pause/resume"), id="dispatch-pause"),
        Binding("r", "retry", _("Retry failed"), id="dispatch-retry"),
        Binding("c", "cancel", _("Cancel queued"), id="dispatch-cancel"),
        Binding("f", "state", _("State"), id="dispatch-state"),
        Binding("t", "test", _("Test email"), id="dispatch-test"),
        Binding("right_square_bracket", "page(1)", _("Next page"), id="dispatch-next", show=False),
        Binding(
            "left_square_bracket", "page(-1)", _("Previous page"), id="dispatch-prev", show=False
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.wanted: str | None = None  # the state the message list shows; None: all
        self.first = 0
        self.paused = False
        self.message_ids: list[int] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Sending"), classes="screen-title")
        with Horizontal(id="dispatch-bar"):
            yield Static("", id="dispatch-state-line")
            yield ProgressBar(id="dispatch-progress", show_eta=False)
        yield Static(self.panel.mail_note, id="dispatch-note", classes="hint", markup=False)
        counts: DataTable = DataTable(id="dispatch-counts", cursor_type="none")
        counts.can_focus = False
        counts.add_columns(_("Survey"), _("Kind"), *(label(state) for state in STATES))
        yield counts
        yield Static("", id="dispatch-list-title", classes="hint", markup=False)
        messages: DataTable = DataTable(id="dispatch-messages", cursor_type="row")
        messages.add_columns(
            _("Id"), _("Kind"), _("To"), _("State"), _("Tries"), _("Last error"), _("Sent")
        )
        yield messages
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#dispatch-note").display = bool(self.panel.mail_note)
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def on_screen_resume(self) -> None:
        self.action_refresh()

    # Reading ----------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        from store.dispatch_queue import message_page, queue_counts, recent_rate, send_progress
        from store.outbox import is_paused
        from store.sending import recent_batches

        actor, state, first = self.actor, self.wanted, self.first

        def read(backend):
            db = backend.db
            batches = recent_batches(db, actor=actor, limit=1)
            progress = send_progress(db, actor=actor, batch_id=batches[0].id) if batches else None
            return {
                "counts": queue_counts(db, actor=actor),
                "messages": message_page(db, actor=actor, status=state, offset=first, limit=PAGE),
                "paused": is_paused(db),
                "rate": recent_rate(db, seconds=30),
                "batch": batches[0] if batches else None,
                "progress": progress,
            }

        self.load(read, self._show)

    def _show(self, data) -> None:
        self.paused = data["paused"]
        self._show_state(data)
        table = self.query_one("#dispatch-counts", DataTable)
        table.clear()
        pivot: dict[tuple, dict[str, int]] = defaultdict(dict)
        titles: dict[tuple, str] = {}
        for count in data["counts"]:
            key = (count.survey_id, count.kind)
            pivot[key][count.status] = count.count
            titles[key] = count.survey_title or "–"
        for key, states in pivot.items():
            table.add_row(
                titles[key],
                kind_label(key[1]),
                *(thousands(states.get(state, 0)) for state in STATES),
            )
        self._show_messages(data["messages"])

    def _show_state(self, data) -> None:
        progress = self.query_one("#dispatch-progress", ProgressBar)
        batch, done_total = data["batch"], data["progress"]
        progress.display = batch is not None and done_total is not None
        if batch is not None and done_total is not None:
            done, total = done_total
            progress.update(total=max(total, 1), progress=done)
        state = _("paused") if data["paused"] else _("sending")
        text = _("Sending is {state} · {rate:.1f} messages a second").format(
            state=state, rate=data["rate"]
        )
        if batch is not None and done_total is not None:
            text += " · " + _("latest: {kind} of “{title}”, {done} of {total} done").format(
                kind=kind_label(batch.kind),
                title=batch.survey_title or "–",
                done=thousands(done_total[0]),
                total=thousands(done_total[1]),
            )
        self.query_one("#dispatch-state-line", Static).update(text)

    def _show_messages(self, rows) -> None:
        table = self.query_one("#dispatch-messages", DataTable)
        keep = table.cursor_row
        table.clear()
        self.message_ids = [row.id for row in rows]
        for row in rows:
            table.add_row(
                str(row.id),
                kind_label(row.kind),
                row.to_address or "–",
                label(row.status),
                str(row.attempts),
                (row.last_error or "")[:40],
                local_time(row.sent_at),
            )
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        shown = label(self.wanted) if self.wanted else _("all states")
        self.query_one("#dispatch-list-title", Static).update(
            _("Messages: {state}, from number {first} (f changes the state, [ and ] page)").format(
                state=shown, first=self.first + 1
            )
        )

    # Acting -----------------------------------------------------------------------------------

    def action_state(self) -> None:
        order = [None, *STATES]
        self.wanted = order[(order.index(self.wanted) + 1) % len(order)]
        self.first = 0
        self.action_refresh()

    def action_page(self, step: int) -> None:
        if step > 0 and len(self.message_ids) < PAGE:
            return
        self.first = max(0, self.first + step * PAGE)
        self.action_refresh()

    def action_pause(self) -> None:
        from store.outbox import set_paused

        paused = not self.paused

        def done(_none) -> None:
            self.notify(_("Sending paused.") if paused else _("Sending resumed."))
            self.action_refresh()

        self.store(lambda backend: set_paused(backend.db, actor=self.actor, paused=paused), done)

    def action_retry(self) -> None:
        from store.dispatch_queue import retry_failed

        self.store(
            lambda backend: retry_failed(backend.db, actor=self.actor),
            lambda n: (self.notify(_("{n} failed messages queued again.").format(n=n)),
                       self.action_refresh()),
        )  # fmt: skip

    def action_cancel(self) -> None:
        from store.dispatch_queue import cancel_queued

        def answered(yes: bool | None) -> None:
            if yes:
                self.store(
                    lambda backend: cancel_queued(backend.db, actor=self.actor),
                    lambda n: (self.notify(_("{n} queued messages cancelled.").format(n=n)),
                               self.action_refresh()),
                )  # fmt: skip

        self.app.push_screen(
            ConfirmScreen(_("Cancel every queued message? They will not be sent.")), answered
        )

    def action_view(self) -> None:
        from store.dispatch_queue import get_message

        from .message_view import MessageViewScreen

        table = self.query_one("#dispatch-messages", DataTable)
        if not self.message_ids or table.cursor_row >= len(self.message_ids):
            return
        message_id = self.message_ids[table.cursor_row]
        self.store(
            lambda backend: get_message(backend.db, actor=self.actor, message_id=message_id),
            lambda view: self.app.push_screen(MessageViewScreen(view)),
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_view()

    def action_test(self) -> None:
        from store.dispatch_queue import queue_test_message

        from .path_prompt import TextPrompt

        def chosen(address: str | None) -> None:
            if not address:
                return

            def queue(backend):
                return queue_test_message(
                    backend.db,
                    backend.key,
                    actor=self.actor,
                    to_address=address,
                    mail_from=backend.settings.mail_from,
                    text=_("This is a test email from the citizen panel, sent by {user}.").format(
                        user=self.actor.username
                    ),
                )

            self.store(
                queue,
                lambda _id: (self.notify(_("A test email to {to} is queued.").format(to=address)),
                             self.action_refresh()),
            )  # fmt: skip

        prompt = TextPrompt(
            _("Send a test email"),
            _("It goes through the real mail server, ahead of the queue."),
            "",
            field=_("Your address"),
        )
        self.app.push_screen(prompt, chosen)
