"""Recruitment: a sign-up link per channel (poster, ad, stand), its QR code on the screen and
as an SVG or PNG file, and how many residents each channel brought in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from ..i18n import _
from ..labels import local_time, thousands
from ..qr import qr_text
from .base import PanelModal, PanelScreen
from .path_prompt import PathPrompt, TextPrompt

if TYPE_CHECKING:
    from store.recruitment import Channel


class RecruitmentScreen(PanelScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", _("New channel"), id="recruit-add"),
        Binding("q", "show_qr", _("QR code"), id="recruit-qr"),
        Binding("s", "save", _("Save QR"), id="recruit-save"),
        Binding("r", "refresh", _("Refresh"), id="recruit-refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.channels: dict[str, Channel] = {}
        self.select_next: str | None = None  # the channel to select once the list is in

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Recruitment"), classes="screen-title")
        yield Static(
            _(
                "Each poster, ad or stand gets its own sign-up link; those who sign up through it "
                "have it as their source."
            ),
            classes="hint",
        )
        table: DataTable = DataTable(id="channels", cursor_type="row", zebra_stripes=True)
        table.add_columns(
            _("Channel"), _("Code"), _("Signed up"), _("Members"), _("Created"), _("By")
        )
        yield table
        yield Static("", id="channel-link", markup=False)
        yield Footer()

    @property
    def base_url(self) -> str:
        return self.panel.settings.base_url

    def url(self, code: str) -> str:
        from store.recruitment import signup_url

        return signup_url(self.base_url, code)

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self, select: str | None = None) -> None:
        def rows(backend):
            from store.recruitment import channels

            return channels(backend.db, actor=self.actor)

        if select is not None:
            # Kept on the screen, not in the call: a newer load (the screen resuming as a
            # dialog closes) replaces this one, and must still select the new channel.
            self.select_next = select
        self.load(rows, self._show)

    def _show(self, found) -> None:
        table = self.query_one("#channels", DataTable)
        select, self.select_next = self.select_next or self.selected(), None
        table.clear()
        self.channels = {channel.code: channel for channel in found}
        for channel in found:
            table.add_row(
                channel.label,
                channel.code,
                thousands(channel.signed_up),
                thousands(channel.members),
                local_time(channel.created_at),
                channel.created_by or "–",
                key=channel.code,
            )
        if select in table.rows:
            table.move_cursor(row=table.get_row_index(select))
        self._link()
        if not found:
            self.query_one("#channel-link", Static).update(
                _("No channels yet. Press a to make the first.")
            )

    @on(DataTable.RowHighlighted, "#channels")
    def _link(self) -> None:
        code = self.selected()
        if code is not None:
            self.query_one("#channel-link", Static).update(
                _("Sign-up link: {url}").format(url=self.url(code))
            )

    @on(DataTable.RowSelected, "#channels")
    def _chosen(self) -> None:
        self.action_show_qr()

    def selected(self) -> str | None:
        table = self.query_one("#channels", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_add(self) -> None:
        def named(label: str | None) -> None:
            if label is None:
                return

            def create(backend):
                from store.recruitment import create_channel

                return create_channel(backend.db, actor=self.actor, label=label)

            def made(channel) -> None:
                self.notify(_("Made the channel “{label}”.").format(label=channel.label))
                self.action_refresh(select=channel.code)
                self.app.push_screen(QrScreen(channel.label, channel.code, self.url(channel.code)))

            self.store(create, made)

        self.app.push_screen(
            TextPrompt(
                _("New recruitment channel"),
                _(
                    "What staff call it, e.g. “Poster, Sandvika library”. The link's code is made "
                    "from it."
                ),
                "",
                _("Channel"),
            ),
            named,
        )

    def action_show_qr(self) -> None:
        code = self.selected()
        if code is not None:
            channel = self.channels[code]
            self.app.push_screen(QrScreen(channel.label, code, self.url(code)))

    def action_save(self) -> None:
        code = self.selected()
        if code is not None:
            save_qr_file(self, code, self.url(code))


def save_qr_file(owner, code: str, url: str) -> None:
    """Ask where, then write the QR code of `url` there as SVG or PNG."""

    def chosen(path: Path | None) -> None:
        if path is None:
            return

        def write(_backend):
            from store.errors import Invalid

            from ..qr import save_qr

            try:
                return save_qr(url, path)
            except (ValueError, OSError) as problem:
                raise Invalid("file", str(problem)) from None

        owner.store(write, lambda saved: owner.notify(_("Written to {path}.").format(path=saved)))

    default = Path.home() / f"qr-{code}.svg"
    owner.app.push_screen(
        PathPrompt(
            _("Save the QR code"),
            _("Ending in .svg (for print, scales to any size) or .png"),
            str(default),
        ),
        chosen,
    )


class QrScreen(PanelModal[None]):
    """A channel's link as a QR code, large enough to scan off the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "dismiss", _("Close"), id="qr-close"),
        Binding("s", "save", _("Save QR"), id="qr-save"),
    ]

    def __init__(self, label: str, code: str, url: str) -> None:
        super().__init__()
        self.label, self.code, self.url = label, code, url

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Static(self.label, classes="dialog-title", markup=False)
            yield Static(self.url, id="qr-url", markup=False)
            yield Static(qr_text(self.url), id="qr", markup=False)
        yield Footer()

    def action_save(self) -> None:
        save_qr_file(self, self.code, self.url)
