"""Workshops: events with their sessions, the call for volunteers, the draw, the invitations
and attendance.

The list shows every event with its numbers; Enter opens one. Both screens answer to the same
keys for an event (edit, close, add a session, call, draw …); the detail screen adds those for
its tables' rows (edit a session, repeat a draw, cancel an invitation, record attendance).
Every change goes through the store (store/events.py, store/event_draw.py), which refuses what
breaks a rule with a message; the message is shown and nothing crashes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from ..i18n import N_, _, ngettext
from ..labels import STRATUM_LABELS, draw_explanation, label, local_time, thousands
from .base import PanelScreen
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from store.events import EventView, SessionView

    from ..backend import Backend

LOCAL = ZoneInfo("Europe/Oslo")  # sessions are typed and shown in Norwegian time

STATE_LABELS = {
    "invited": N_("invited"),
    "accepted": N_("has a place"),
    "declined": N_("declined"),
    "waitlisted": N_("waiting list"),
    "cancelled": N_("cancelled"),
}
METHOD_LABELS = {"random": N_("random"), "stratified": N_("stratified")}
LEFT_OUT = {
    "already_invited": N_("already invited to this workshop"),
    "not_reachable": N_("no longer on the panel, or no deliverable address"),
    "not_enough": N_("missing: fewer volunteers than the draw asks for"),
}
# Actions on a row of one of the detail screen's tables: (table, hint when none is chosen).
ROW_ACTIONS = {
    "edit_session": ("#sessions", N_("Choose a session, then press E.")),
    "repeat_draw": ("#draws", N_("Choose a draw, then press R.")),
    "cancel_invite": ("#invites", N_("Choose an invitation, then press x.")),
    "attendance": ("#invites", N_("Choose an invitation, then press m.")),
}


# ----------------------------------------------------------------------------- words and times


def oslo(moment: datetime | None) -> str:
    """A stored (UTC) time in Norwegian time, to the minute."""
    if moment is None:
        return "–"
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def session_when(starts_at: datetime, ends_at: datetime) -> str:
    """“2026-12-10 18:00–20:00”, in Norwegian time (the end's date too if it differs)."""
    start, end = starts_at.astimezone(LOCAL), ends_at.astimezone(LOCAL)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def short(text: str, width: int = 36) -> str:
    """A long text cut to fit a table's column."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def state_label(state: str) -> str:
    return _(STATE_LABELS.get(state, state))


def attended_label(attended: bool | None) -> str:
    if attended is None:
        return "–"
    return _("came") if attended else _("did not come")


def group_label(group: tuple[str, ...] | list[str]) -> str:
    """One stratum's values, as staff read them: “25-34 · female · Sandvika”."""
    words = []
    for value in group:
        if value == "unknown":
            words.append(_("unknown"))
        elif value in ("female", "male", "other"):
            words.append(label(value))
        else:
            words.append(str(value))
    return " · ".join(words) or _("everyone")


def source_label(source: str) -> str:
    if source == "call":
        return _("call")
    if source == "staff":
        return _("staff")
    if source.startswith("survey:"):
        return _("survey {id}").format(id=source.removeprefix("survey:"))
    return source


def left_out_lines(left_out: dict[str, int], reasons: dict[str, str]) -> list[str]:
    return [
        _("Left out: {count} {reason}").format(
            count=thousands(count), reason=_(reasons.get(reason, reason))
        )
        for reason, count in sorted(left_out.items())
    ]


def after_typing(screen, callback) -> None:
    """Run `callback` once the focused field has read the keys typed before this one: a
    priority key (Ctrl+S, Ctrl+R) is read ahead of them."""
    focused = screen.focused
    (focused if focused is not None else screen).call_later(callback)


def event_mail_for(backend: Backend):
    """What the store needs to write event emails, from the settings' sender and site."""
    from mail.compose import event_mail

    settings = backend.settings
    return event_mail(mail_from=settings.mail_from, base_url=settings.base_url)


# ------------------------------------------------------------------- what both screens can do


class EventActions(PanelScreen):
    """The keys for one event, shared by the list (the selected event) and the detail screen.

    A screen of this kind gives `current()`: the event acted on as (id, title, status), or None;
    and `changed(event_id)`: reload after a change.
    """

    loaded: bool
    waiting: str | None

    def current(self) -> tuple[int, str, str] | None:
        raise NotImplementedError

    def changed(self, event_id: int | None = None) -> None:
        raise NotImplementedError

    def _event(self, action: str) -> tuple[int, str, str] | None:
        """The event to act on; before the screen has loaded, the action waits for it."""
        event = self.current()
        if event is None:
            if not self.loaded:
                self.waiting = action  # from the palette, before the screen's data is in
            else:
                self.notify(_("No workshop chosen. Press n to make one."), severity="warning")
        return event

    def action_add(self) -> None:
        from .event_forms import EventForm

        def made(event_id: int | None) -> None:
            if event_id is not None:
                self.notify(_("Workshop made. Add its sessions with a."))
                self.changed(event_id)

        self.app.push_screen(EventForm(None), made)

    def action_edit_event(self) -> None:
        from store.events import event_view

        from .event_forms import EventForm

        event = self._event("edit_event")
        if event is None:
            return
        event_id = event[0]

        def saved(result: int | None) -> None:
            if result is not None:
                self.notify(_("Saved."))
                self.changed(event_id)

        self.store(
            lambda backend: event_view(backend.db, actor=self.actor, event_id=event_id),
            lambda view: self.app.push_screen(EventForm(view), saved),
        )

    def action_toggle_status(self) -> None:
        from store.events import set_status

        event = self._event("toggle_status")
        if event is None:
            return
        event_id, title, status = event
        target = "closed" if status == "open" else "open"
        if target == "closed":
            question = _(
                "Close “{title}”? Its pages then say so and take no more answers; "
                "no more emails go out about it."
            )
        else:
            question = _("Open “{title}” again?")

        def answered(yes: bool | None) -> None:
            if yes:
                self.store(
                    lambda backend: set_status(
                        backend.db,
                        actor=self.actor,
                        event_id=event_id,
                        status=target,
                    ),
                    lambda _none: self._status_changed(event_id, target),
                )

        self.app.push_screen(ConfirmScreen(question.format(title=title)), answered)

    def _status_changed(self, event_id: int, status: str) -> None:
        self.notify(_("The workshop is now {status}.").format(status=label(status)))
        self.changed(event_id)

    def action_add_session(self) -> None:
        from .event_forms import SessionForm

        event = self._event("add_session")
        if event is None:
            return
        event_id = event[0]

        def added(result: int | None) -> None:
            if result is not None:
                self.notify(_("Session added."))
                self.changed(event_id)

        self.app.push_screen(SessionForm(event_id), added)

    def action_call(self) -> None:
        from .event_call import CallDialog

        event = self._event("call")
        if event is None:
            return
        event_id, title, _status = event

        def queued(count: int | None) -> None:
            if count is not None:
                self.notify(
                    ngettext(
                        "{n} asked to volunteer; the email goes out as the dispatcher sends it.",
                        "{n} asked to volunteer; the emails go out as the dispatcher sends them.",
                        count,
                    ).format(n=thousands(count))
                )
                self.changed(event_id)

        self.app.push_screen(CallDialog(event_id, title), queued)

    def action_from_survey(self) -> None:
        from .event_call import SurveyVolunteersDialog

        event = self._event("from_survey")
        if event is None:
            return
        event_id, title, _status = event

        def added(count: int | None) -> None:
            if count is not None:
                self.notify(
                    ngettext(
                        "{n} new volunteer from the survey.",
                        "{n} new volunteers from the survey.",
                        count,
                    ).format(n=thousands(count))
                )
                self.changed(event_id)

        self.app.push_screen(SurveyVolunteersDialog(event_id, title), added)

    def action_volunteers(self) -> None:
        from .event_call import VolunteersScreen

        event = self._event("volunteers")
        if event is not None:
            self.app.push_screen(VolunteersScreen(event[0], event[1]))

    def action_draw(self) -> None:
        from .event_draw_dialog import DrawDialog

        event = self._event("draw")
        if event is None:
            return
        event_id, title, _status = event

        def invited(count: int | None) -> None:
            if count is not None:
                self.notify(
                    ngettext(
                        "{n} invitation queued; it goes out as the dispatcher sends it.",
                        "{n} invitations queued; they go out as the dispatcher sends them.",
                        count,
                    ).format(n=thousands(count))
                )
                self.changed(event_id)

        self.app.push_screen(DrawDialog(event_id, title), invited)


# ------------------------------------------------------------------------------------ the list


class EventsScreen(EventActions):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", _("Open"), id="events-open"),
        Binding("n", "add", _("New"), id="events-new"),
        Binding("e", "edit_event", _("Edit"), id="events-edit"),
        Binding("c", "toggle_status", _("Close/open"), id="events-status"),
        Binding("a", "add_session", _("Session"), id="events-session"),
        Binding("k", "call", _("Call"), id="events-call"),
        Binding("s", "from_survey", _("From survey"), id="events-survey"),
        Binding("v", "volunteers", _("Volunteers"), id="events-volunteers"),
        Binding("d", "draw", _("Draw"), id="events-draw"),
        Binding("r", "refresh", _("Refresh"), id="events-refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, Any] = {}
        self.loaded = False
        self.waiting: str | None = None
        self.select_next: int | None = None  # the event to select once the list is in

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Workshops"), classes="screen-title")
        table: DataTable = DataTable(id="events", cursor_type="row", zebra_stripes=True)
        table.add_columns(
            _("Title"),
            _("First session"),
            _("Sessions"),
            _("Volunteers"),
            _("Invited"),
            _("Accepted"),
            _("Status"),
        )
        yield table
        yield Static(_("No workshops yet: press n to make one."), id="events-hint", classes="hint")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self, select: int | None = None) -> None:
        from store.events import list_events

        if select is not None:
            # Kept on the screen, not in the call: a newer load (the screen resuming as a
            # dialog closes) may cancel this one, and must still select the event.
            self.select_next = select
        self.load(lambda backend: list_events(backend.db, actor=self.actor), self._show)

    def _show(self, rows) -> None:
        table = self.query_one("#events", DataTable)
        keep, self.select_next = self.select_next or self.selected(), None
        self.rows = {row.id: row for row in rows}
        table.clear()
        for row in rows:
            table.add_row(
                row.title,
                oslo(row.first_start),
                str(row.sessions),
                thousands(row.volunteers),
                thousands(row.invited),
                thousands(row.accepted),
                label(row.status),
                key=str(row.id),
            )
        self.query_one("#events-hint").display = not rows
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)))
        self.loaded = True
        if self.waiting is not None:
            action, self.waiting = self.waiting, None
            self.call_after_refresh(self.run_action, action)

    def selected(self) -> int | None:
        table = self.query_one("#events", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def current(self) -> tuple[int, str, str] | None:
        event_id = self.selected()
        row = self.rows.get(event_id) if event_id is not None else None
        return (row.id, row.title, row.status) if row is not None else None

    def changed(self, event_id: int | None = None) -> None:
        self.action_refresh(select=event_id)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self, then: str = "") -> None:
        event = self._event("open")
        if event is not None:
            self.app.push_screen(EventDetailScreen(event[0], then=then))

    # The detail screen's row actions, from the palette: open the event at that table.
    def action_edit_session(self) -> None:
        self._row_action("edit_session")

    def action_repeat_draw(self) -> None:
        self._row_action("repeat_draw")

    def action_cancel_invite(self) -> None:
        self._row_action("cancel_invite")

    def action_attendance(self) -> None:
        self._row_action("attendance")

    def _row_action(self, action: str) -> None:
        if self._event(action) is not None:
            self.action_open(then=action)


# ---------------------------------------------------------------------------------- one event


class SessionsTable(DataTable):
    """The detail's sessions; its row key is shown in the footer while it has the focus."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("E", "screen.edit_session", _("Edit session"), id="sessions-edit"),
    ]


class DrawsTable(DataTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "screen.repeat_draw", _("Repeat draw"), id="draws-repeat"),
    ]


class InvitesTable(DataTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "screen.cancel_invite", _("Cancel invite"), id="invites-cancel"),
        Binding("m", "screen.attendance", _("Attendance"), id="invites-attendance"),
    ]


class EventDetailScreen(EventActions):
    """One workshop: its sessions with their places, the call, the draws and the invitations."""

    AUTO_FOCUS = "#sessions"
    DEFAULT_CSS = """
    EventDetailScreen #event-detail { padding: 0 1; }
    EventDetailScreen DataTable { height: auto; max-height: 10; }
    EventDetailScreen #invites { max-height: 24; }
    EventDetailScreen .box-title { margin-top: 1; }
    EventDetailScreen #event-description { color: $text-muted; }
    EventDetailScreen #event-title { text-style: bold; color: $accent; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="event-back"),
        Binding("e", "edit_event", _("Edit"), id="event-edit"),
        Binding("c", "toggle_status", _("Close/open"), id="event-status"),
        Binding("a", "add_session", _("Session"), id="event-session"),
        Binding("k", "call", _("Call"), id="event-call"),
        Binding("s", "from_survey", _("From survey"), id="event-survey"),
        Binding("v", "volunteers", _("Volunteers"), id="event-volunteers"),
        Binding("d", "draw", _("Draw"), id="event-draw"),
        # The rows' keys work from anywhere; the footer shows them with their table's focus.
        Binding("E", "edit_session", _("Edit session"), id="event-edit-session", show=False),
        Binding("R", "repeat_draw", _("Repeat draw"), id="event-repeat", show=False),
        Binding("x", "cancel_invite", _("Cancel invite"), id="event-cancel", show=False),
        Binding("m", "attendance", _("Attendance"), id="event-attendance", show=False),
        Binding("n", "add", _("New"), id="event-new", show=False),
        Binding("r", "refresh", _("Refresh"), id="event-refresh", show=False),
    ]

    def __init__(self, event_id: int, *, then: str = "") -> None:
        super().__init__()
        self.event_id = event_id
        self.view: EventView | None = None
        self.loaded = False
        self.waiting: str | None = then or None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="event-detail"):
            yield Static("", id="event-title", markup=False)
            yield Static("", id="event-facts", markup=False)
            yield Static("", id="event-description", markup=False)
            yield Static(_("Sessions"), classes="box-title")
            sessions = SessionsTable(id="sessions", cursor_type="row", zebra_stripes=True)
            sessions.add_columns(
                _("Session"),
                _("When"),
                _("Places"),
                _("Accepted"),
                _("Waiting"),
                _("Free"),
                _("Attended"),
                _("Place"),
            )
            yield sessions
            yield Static("", id="event-numbers", markup=False)
            yield Static(_("Draws"), classes="box-title")
            draws = DrawsTable(id="draws", cursor_type="row", zebra_stripes=True)
            draws.add_columns(
                _("Method"),
                _("Strata"),
                _("Favour"),
                _("Seed"),
                _("Chosen"),
                _("When"),
                _("By"),
            )
            yield draws
            yield Static("", id="draw-explained", markup=False)
            yield Static(_("Invitations"), classes="box-title")
            invites = InvitesTable(id="invites", cursor_type="row", zebra_stripes=True)
            invites.add_columns(_("Name"), _("Answer"), _("Session"), _("Attended"))
            yield invites
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        from store.events import event_view

        event_id = self.event_id
        self.load(
            lambda backend: event_view(backend.db, actor=self.actor, event_id=event_id),
            self._show,
        )

    def _show(self, view: EventView) -> None:
        self.view = view
        self.query_one("#event-title", Static).update(view.title)
        place = view.location or _("no place given")
        self.query_one("#event-facts", Static).update(
            _("Status: {status} · Place: {place}").format(status=label(view.status), place=place)
        )
        self.query_one("#event-description", Static).update(view.description)
        self.query_one("#event-description").display = bool(view.description)
        self._sessions(view)
        self.query_one("#event-numbers", Static).update(
            _(
                "Asked to volunteer: {asked} · Volunteered: {volunteers} · Invited: {invited} · "
                "With a place: {accepted} · Waiting: {waiting}"
            ).format(
                asked=thousands(view.asked),
                volunteers=thousands(view.volunteers),
                invited=thousands(len(view.invites) - view.count("cancelled")),
                accepted=thousands(view.count("accepted")),
                waiting=thousands(view.count("waitlisted")),
            )
        )
        self._draws(view)
        self._invites(view)
        first = not self.loaded
        self.loaded = True
        if first and self.waiting is not None:
            action, self.waiting = self.waiting, None
            self.call_after_refresh(self._run_waiting, action)

    async def _run_waiting(self, action: str) -> None:
        if action in ROW_ACTIONS:  # from the list: show the table, let staff choose the row
            table, hint = ROW_ACTIONS[action]
            self.query_one(table, DataTable).focus()
            self.notify(_(hint))
        else:
            await self.run_action(action)

    def _keep(self, table: DataTable) -> str | None:
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _refill(self, table: DataTable, rows: list[tuple[str, tuple]]) -> None:
        keep = self._keep(table)
        table.clear()
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep))

    def _sessions(self, view: EventView) -> None:
        self._refill(
            self.query_one("#sessions", DataTable),
            [
                (
                    str(s.id),
                    (
                        s.label or "–",
                        session_when(s.starts_at, s.ends_at),
                        thousands(s.capacity),
                        thousands(s.accepted),
                        thousands(s.waitlisted),
                        thousands(s.free),
                        thousands(s.attended),
                        short(s.location) or "–",
                    ),
                )
                for s in view.sessions
            ],
        )

    def _draws(self, view: EventView) -> None:
        self._refill(
            self.query_one("#draws", DataTable),
            [
                (
                    str(d.id),
                    (
                        _(METHOD_LABELS.get(d.method, d.method)),
                        ", ".join(_(STRATUM_LABELS.get(s, s)) for s in d.strata) or "–",
                        _("yes") if d.favour else _("no"),
                        str(d.seed),
                        _("{chosen} of {pool}").format(chosen=d.chosen, pool=d.pool),
                        local_time(d.created_at),
                        d.created_by or "–",
                    ),
                )
                for d in view.draws
            ],
        )
        self.query_one("#draw-explained", Static).update(
            "\n".join(
                _("Draw {n}: {explanation}").format(
                    n=n,
                    explanation=draw_explanation(
                        method=d.method,
                        strata=d.strata,
                        favour=d.favour,
                        chosen=d.chosen,
                        pool=d.pool,
                        seed=d.seed,
                    ),
                )
                for n, d in enumerate(view.draws, start=1)
            )
            or _("No draw yet: press d to draw among the volunteers and invite them.")
        )

    def _invites(self, view: EventView) -> None:
        names = {s.id: self._session_name(s) for s in view.sessions}
        self._refill(
            self.query_one("#invites", DataTable),
            [
                (
                    str(i.id),
                    (
                        i.name or "–",
                        state_label(i.state),
                        names.get(i.session_id, "–") if i.session_id else "–",
                        attended_label(i.attended),
                    ),
                )
                for i in view.invites
            ],
        )

    @staticmethod
    def _session_name(session: SessionView) -> str:
        when = session_when(session.starts_at, session.ends_at)
        return f"{session.label} ({when})" if session.label else when

    # EventActions -----------------------------------------------------------------------------

    def current(self) -> tuple[int, str, str] | None:
        if self.view is None:
            return None
        return (self.view.id, self.view.title, self.view.status)

    def changed(self, event_id: int | None = None) -> None:
        if event_id is not None and event_id != self.event_id:  # a new event: show that one
            self.event_id = event_id
        self.action_refresh()

    def action_back(self) -> None:
        self.app.pop_screen()

    # The rows of the tables -------------------------------------------------------------------

    def _row(self, action: str, selector: str) -> int | None:
        """The id of the chosen row of a table; None (and a word why) if there is none."""
        if self.view is None:
            if not self.loaded:
                self.waiting = action
            return None
        table = self.query_one(selector, DataTable)
        key = self._keep(table)
        if key is None:
            self.notify(_(ROW_ACTIONS[action][1]), severity="warning")
            return None
        return int(key)

    @on(DataTable.RowSelected, "#sessions")
    def _session_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_session()

    def action_edit_session(self) -> None:
        from .event_forms import SessionForm

        session_id = self._row("edit_session", "#sessions")
        if session_id is None or self.view is None:
            return
        session = next((s for s in self.view.sessions if s.id == session_id), None)
        if session is None:
            return

        def saved(promoted: int | None) -> None:
            if promoted is None:
                return
            if promoted:
                self.notify(
                    ngettext(
                        "Saved. {n} on the waiting list got a place.",
                        "Saved. {n} on the waiting list got a place.",
                        promoted,
                    ).format(n=promoted)
                )
            else:
                self.notify(_("Saved. Nobody on the waiting list got a place."))
            self.action_refresh()

        form = SessionForm(self.event_id, session, event_place=self.view.location)
        self.app.push_screen(form, saved)

    def action_repeat_draw(self) -> None:
        from store.event_draw import repeat_draw

        draw_id = self._row("repeat_draw", "#draws")
        if draw_id is None:
            return

        def repeated(result: tuple[bool, list[int]]) -> None:
            same, chosen = result
            if same:
                self.notify(
                    ngettext(
                        "Repeated from its record: the draw chose the same {n} person.",
                        "Repeated from its record: the draw chose the same {n} people, "
                        "in the same order.",
                        len(chosen),
                    ).format(n=len(chosen))
                )
            else:
                self.notify(
                    _("Repeated from its record: the draw did NOT choose the same people."),
                    severity="error",
                    timeout=15,
                )

        self.store(
            lambda backend: repeat_draw(backend.db, actor=self.actor, draw_id=draw_id), repeated
        )

    def _invite(self, action: str):
        invite_id = self._row(action, "#invites")
        if invite_id is None or self.view is None:
            return None
        return next((i for i in self.view.invites if i.id == invite_id), None)

    def action_cancel_invite(self) -> None:
        from store.events import cancel_invite

        invite = self._invite("cancel_invite")
        if invite is None:
            return
        if invite.state == "cancelled":
            self.notify(_("That invitation is cancelled already."), severity="warning")
            return
        invite_id = invite.id

        def cancel(backend):
            return cancel_invite(
                backend.db,
                backend.key,
                actor=self.actor,
                invite_id=invite_id,
                mail=event_mail_for(backend),
            )

        def cancelled(promoted: int) -> None:
            if promoted:
                self.notify(
                    ngettext(
                        "Invitation cancelled. {n} on the waiting list got the place.",
                        "Invitation cancelled. {n} on the waiting list got a place.",
                        promoted,
                    ).format(n=promoted)
                )
            else:
                self.notify(_("Invitation cancelled."))
            self.action_refresh()

        def answered(yes: bool | None) -> None:
            if yes:
                self.store(cancel, cancelled)

        question = _(
            "Cancel the invitation of {name}? Their link stops working; a place they held "
            "goes to the waiting list."
        )
        self.app.push_screen(ConfirmScreen(question.format(name=invite.name)), answered)

    def action_attendance(self) -> None:
        """Cycles: not recorded → came → did not come → not recorded."""
        from store.events import record_attendance

        invite = self._invite("attendance")
        if invite is None:
            return
        following = {None: True, True: False, False: None}[invite.attended]
        invite_id, name = invite.id, invite.name

        def recorded(_none) -> None:
            if following is None:
                self.notify(_("{name}: attendance not recorded.").format(name=name))
            elif following:
                self.notify(_("{name}: came.").format(name=name))
            else:
                self.notify(_("{name}: did not come.").format(name=name))
            self.action_refresh()

        self.store(
            lambda backend: record_attendance(
                backend.db, actor=self.actor, invite_id=invite_id, attended=following
            ),
            recorded,
        )
