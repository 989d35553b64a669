"""One outbox message as it was sent: headers, subject and text; personal links shown as
their placeholders, for they are never kept in the clear."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from ..i18n import _
from ..labels import label, local_time
from .base import PanelModal


class MessageViewScreen(PanelModal[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", _("Close"), id="message-close"),
    ]

    def __init__(self, view) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        view = self.view
        row = view.row
        headers = {"Message-ID": view.message_id or "–", **view.headers}
        with VerticalScroll(classes="dialog wide", id="message-box"):
            yield Static(
                _("Message {id} · {state} · {tries} tries").format(
                    id=row.id, state=label(row.status), tries=row.attempts
                ),
                classes="dialog-title",
            )
            yield Static(
                _("To: {to}").format(to=row.to_address or "–")
                + "\n"
                + _("Subject: {subject}").format(subject=view.subject)
                + "\n"
                + "\n".join(f"{name}: {value}" for name, value in headers.items())
                + "\n"
                + _("Queued {queued} · sent {sent}").format(
                    queued=local_time(row.created_at), sent=local_time(row.sent_at)
                ),
                markup=False,
                id="message-headers",
            )
            if row.last_error:
                yield Static(
                    _("Last error: {error}").format(error=row.last_error),
                    classes="form-error",
                    markup=False,
                )
            yield Static(view.text, markup=False, id="message-text")
            for attachment in view.attachments:
                yield Static(
                    _("Attached: {name} ({kind})").format(
                        name=attachment.get("filename", "–"),
                        kind=attachment.get("content_type", "").split(";")[0],
                    ),
                    markup=False,
                    classes="hint",
                )
                yield Static(attachment.get("text", ""), markup=False, classes="attachment")
            yield Static(
                _("[[link]] and [[unsubscribe]] stand for the resident's personal links."),
                classes="hint",
                markup=False,
            )
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
