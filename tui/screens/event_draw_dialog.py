"""The draw: choose whom to invite to a workshop among its volunteers, see the plan, invite.

The check shows how the draw was made (method, strata, seed), the seats per group and who was
left out and why. Inviting records exactly that draw, so it can be repeated from its record.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, DataTable, Footer, Input, Label, Select, Static

from ..i18n import _, ngettext
from ..labels import thousands
from .base import PanelModal
from .confirm import ConfirmScreen
from .event_call import whole
from .events import (
    LEFT_OUT,
    STRATUM_LABELS,
    after_typing,
    draw_explanation,
    event_mail_for,
    group_label,
    left_out_lines,
)

STRATA = ("age_band", "gender", "district")


class DrawDialog(PanelModal["int | None"]):
    """Returns the number of invitations queued, or None."""

    DEFAULT_CSS = """
    DrawDialog .draw-strata { height: auto; margin-bottom: 1; }
    DrawDialog .draw-strata Checkbox { width: auto; margin-right: 2; }
    DrawDialog #draw-table { height: auto; max-height: 14; }
    DrawDialog #draw-explain { margin-top: 1; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "check", _("Check"), id="draw-check", priority=True),
        Binding("ctrl+s", "invite", _("Invite"), id="draw-invite", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="draw-cancel"),
    ]

    def __init__(self, event_id: int, title: str) -> None:
        super().__init__()
        self.event_id = event_id
        self.event_title = title
        self.plan = None  # the last checked plan; inviting uses exactly it

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide", id="draw-box"):
            yield Static(
                _("Draw and invite: “{title}”").format(title=self.event_title),
                classes="dialog-title",
                markup=False,
            )
            yield Static(
                _("Among the volunteers still on the panel and not yet invited."), classes="hint"
            )
            with Horizontal(classes="field"):
                yield Label(_("How many"))
                yield Input(id="draw-size", placeholder=_("e.g. 20"))
            with Horizontal(classes="field"):
                yield Label(_("Method"))
                yield Select(
                    [(_("stratified"), "stratified"), (_("simple random"), "random")],
                    value="stratified",
                    allow_blank=False,
                    id="draw-method",
                    compact=True,
                )
            yield Label(_("Strata"))
            with Horizontal(classes="draw-strata"):
                for name in STRATA:
                    yield Checkbox(_(STRATUM_LABELS[name]), True, id=f"draw-{name}", compact=True)
            yield Checkbox(
                _("Favour under-represented groups: seats in proportion to the population"),
                False,
                id="draw-favour",
                compact=True,
            )
            with Horizontal(classes="field"):
                yield Label(_("Seed"))
                yield Input(id="draw-seed", placeholder=_("empty: a new draw"))
            yield Static(
                _("Ctrl+R shows the draw; Ctrl+S invites exactly those it chose."), classes="hint"
            )
            yield Static("", id="draw-explain", markup=False)
            table: DataTable = DataTable(id="draw-table", cursor_type="row", zebra_stripes=True)
            table.add_columns(_("Group"), _("Available"), _("Target"), _("Chosen"))
            table.display = False
            yield table
            yield Static("", id="draw-left-out", markup=False)
            yield Static("", classes="form-error", id="draw-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#draw-box").styles.width = 90  # over the app's .dialog: room for groups
        self.query_one("#draw-size", Input).focus()

    def request(self):
        """The draw on screen; ValueError names a field that is not a whole number."""
        from store.event_draw import DrawRequest

        size = whole(self.query_one("#draw-size", Input).value, _("How many"))
        if size is None:
            raise ValueError(_("Say how many to draw."))
        method = str(self.query_one("#draw-method", Select).value)
        strata = tuple(name for name in STRATA if self.query_one(f"#draw-{name}", Checkbox).value)
        return DrawRequest(
            size=size,
            method=method,
            strata=strata,
            favour=self.query_one("#draw-favour", Checkbox).value,
            seed=whole(self.query_one("#draw-seed", Input).value, _("Seed")),
        )

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        """Once the screen no longer asks for what was checked, check again before inviting."""
        if self.plan is None:
            return
        try:
            current = self.request()
        except ValueError:
            current = None
        if current != replace(self.plan.request, seed=self.plan.seed):
            self.plan = None

    def action_check(self) -> None:
        after_typing(self, self.check)

    def check(self) -> None:
        from store.event_draw import plan_draw

        error = self.query_one("#draw-error", Static)
        error.update("")
        try:
            request = self.request()
        except ValueError as exc:
            error.update(str(exc))
            return
        event_id = self.event_id

        self.store(
            lambda backend: plan_draw(
                backend.db, actor=self.actor, event_id=event_id, request=request
            ),
            self._planned,
            failed=lambda exc: error.update(str(exc)),
        )

    def _planned(self, plan) -> None:
        self.plan = plan
        self.query_one("#draw-seed", Input).value = str(plan.seed)  # shown, so repeatable
        request = plan.request
        self.query_one("#draw-explain", Static).update(
            draw_explanation(
                method=request.method,
                strata=request.strata,
                favour=request.favour,
                chosen=len(plan.chosen),
                pool=len(plan.pool),
                seed=plan.seed,
            )
        )
        table = self.query_one("#draw-table", DataTable)
        table.clear()
        for stratum in plan.strata:
            table.add_row(
                group_label(stratum.group),
                thousands(stratum.available),
                f"{stratum.target:.1f}",
                thousands(stratum.chosen),
            )
        table.display = bool(plan.strata)
        lines = left_out_lines(plan.left_out, LEFT_OUT)
        left_out = self.query_one("#draw-left-out", Static)
        left_out.update("\n".join(lines) or _("Nobody left out."))
        self.call_after_refresh(left_out.scroll_visible, animate=False)

    def action_invite(self) -> None:
        after_typing(self, self.invite)

    def invite(self) -> None:
        plan = self.plan
        error = self.query_one("#draw-error", Static)
        if plan is None:
            error.update(_("Check first (Ctrl+R): you invite the people the draw chose."))
            return
        if not plan.chosen:
            error.update(_("Nobody to invite."))
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._invite(plan)

        question = ngettext("Invite {n} person now?", "Invite {n} people now?", len(plan.chosen))
        self.app.push_screen(ConfirmScreen(question.format(n=len(plan.chosen))), answered)

    def _invite(self, plan) -> None:
        from store.event_draw import invite_drawn

        error = self.query_one("#draw-error", Static)

        def invite(backend):
            return invite_drawn(
                backend.db, backend.key, actor=self.actor, plan=plan, mail=event_mail_for(backend)
            )

        self.store(
            invite,
            lambda queued: self.dismiss(queued.queued),
            failed=lambda exc: error.update(str(exc)),
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
