"""Dialogs for a workshop's own details: the event (title, description, place) and a session
(its day, times in Norwegian time, places and place).

Each dialog saves through the store itself and closes only when the store took it; a refusal is
shown next to the field it names (or under the form), and everything typed stays.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static, TextArea

from ..i18n import _
from .base import PanelModal
from .events import LOCAL, after_typing, event_mail_for

if TYPE_CHECKING:
    from store.events import EventView, SessionView

T = TypeVar("T")


class FormDialog(PanelModal[T]):
    """A form whose fields are `#{PREFIX}-{name}`, each with `#{PREFIX}-{name}-error` beneath;
    a store refusal (`Invalid`) names its field, shown by `FIELDS` (the store's name → ours)."""

    PREFIX = "form"
    FIELDS: ClassVar[dict[str, str]] = {}
    DEFAULT_CSS = """
    FormDialog .field-error { color: $error; height: auto; margin: 0 0 1 16; display: none; }
    FormDialog .field-error.-shown { display: block; }
    FormDialog .form-error { height: auto; min-height: 1; color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Save"), id="form-save", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="form-cancel"),
        # A priority binding moves focus before the next key is read, so typing ahead works.
        Binding(
            "enter", "next_or_save", _("Next field"), id="form-next", show=False, priority=True
        ),
    ]

    def field(
        self, name: str, title: str, value: str = "", *, placeholder: str = ""
    ) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(title)
            yield Input(value, id=f"{self.PREFIX}-{name}", placeholder=placeholder)
        yield Static("", classes="field-error", id=f"{self.PREFIX}-{name}-error", markup=False)

    def buttons(self) -> ComposeResult:
        yield Static("", classes="form-error", id=f"{self.PREFIX}-error", markup=False)
        with Horizontal(classes="buttons"):
            yield Button(_("Save"), id="save", variant="primary")
            yield Button(_("Cancel"), id="cancel")

    def value(self, name: str) -> str:
        return self.query_one(f"#{self.PREFIX}-{name}", Input).value

    def clear_errors(self) -> None:
        for shown in self.query(".field-error"):
            shown.remove_class("-shown")
            shown.update("")  # type: ignore[attr-defined]
        self.query_one(f"#{self.PREFIX}-error", Static).update("")

    def error(self, name: str | None, message: str) -> None:
        """A message next to field `name` (focused), or under the form."""
        found = self.query(f"#{self.PREFIX}-{name}-error") if name else None
        if found:
            box = found.first(Static)
            box.update(message)
            box.add_class("-shown")
            self.query_one(f"#{self.PREFIX}-{name}").focus()
        else:
            self.query_one(f"#{self.PREFIX}-error", Static).update(message)

    def refused(self, exc: Exception) -> None:
        """The store's refusal, by the field it names; the form keeps what was typed."""
        field = getattr(exc, "field", None)
        name = self.FIELDS.get(field, field) if field else None
        reason = getattr(exc, "reason", None) or str(exc)
        if name and self.query(f"#{self.PREFIX}-{name}-error"):
            self.error(name, reason)
        else:
            self.error(None, str(exc))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_or_save":  # in a text area Enter is a new line; on a button, a press
            return isinstance(self.focused, Input)
        return True

    def action_next_or_save(self) -> None:
        """Enter: on to the next field; in the last, save."""
        fields = [w for w in self.query("Input, TextArea") if w.focusable]
        focused = self.focused
        if focused not in fields:
            return
        position = fields.index(focused)
        if position < len(fields) - 1:
            self.set_focus(fields[position + 1])
        else:
            # Keys typed before this Enter may still wait in the field's queue: save after them.
            focused.call_later(self.save)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.save()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        after_typing(self, self.save)

    def save(self) -> None:
        raise NotImplementedError

    busy = False

    def submit(self, call) -> None:
        """Save by `call(backend)`; closes with its result, or shows why not. Once at a time:
        a second Ctrl+S while the first is on its way does not save twice."""
        if self.busy:
            return
        self.busy = True

        def failed(exc: Exception) -> None:
            self.busy = False
            self.refused(exc)

        self.store(call, self.dismiss, failed=failed)


class EventForm(FormDialog["int | None"]):
    """A new workshop (`view` None) or its details changed; returns its id, or None."""

    PREFIX = "ev"
    FIELDS: ClassVar[dict[str, str]] = {"location": "place"}

    def __init__(self, view: EventView | None) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        view = self.view
        with VerticalScroll(classes="dialog wide"):
            title = _("New workshop") if view is None else _("Edit “{title}”")
            yield Static(
                title.format(title=view.title if view else ""),
                classes="dialog-title",
                markup=False,
            )
            yield from self.field("title", _("Title"), view.title if view else "")
            with Horizontal(classes="field tall"):
                yield Label(_("Description"))
                yield TextArea(
                    view.description if view else "",
                    id="ev-description",
                    soft_wrap=True,
                    show_line_numbers=False,
                )
            yield Static("", classes="field-error", id="ev-description-error", markup=False)
            yield from self.field(
                "place",
                _("Place"),
                view.location if view else "",
                placeholder=_("e.g. Rådhuset, room 2"),
            )
            yield Static(
                _("Sessions have their own times and places: add them with a on the list."),
                classes="hint",
            )
            yield from self.buttons()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#ev-title", Input).focus()

    def save(self) -> None:
        from store.events import create_event, update_event

        self.clear_errors()
        title = self.value("title")
        description = self.query_one("#ev-description", TextArea).text
        place = self.value("place")
        event_id = self.view.id if self.view is not None else None

        def save(backend) -> int:
            if event_id is None:
                return create_event(
                    backend.db,
                    actor=self.actor,
                    title=title,
                    description=description,
                    location=place,
                )
            update_event(
                backend.db,
                actor=self.actor,
                event_id=event_id,
                title=title,
                description=description,
                location=place,
            )
            return event_id

        self.submit(save)


class SessionForm(FormDialog["int | None"]):
    """A new session of event `event_id` (`session` None: returns its id), or a session changed
    (returns how many on its waiting list got a place); None when cancelled."""

    PREFIX = "se"
    FIELDS: ClassVar[dict[str, str]] = {
        "starts_at": "start",
        "ends_at": "end",
        "location": "place",
    }

    def __init__(
        self, event_id: int, session: SessionView | None = None, *, event_place: str = ""
    ) -> None:
        super().__init__()
        self.event_id = event_id
        self.session = session
        # The store gives a session without a place of its own the event's: shown empty here,
        # so that saving does not copy the event's place onto the session.
        self.event_place = event_place

    def compose(self) -> ComposeResult:
        s = self.session
        start = s.starts_at.astimezone(LOCAL) if s else None
        end = s.ends_at.astimezone(LOCAL) if s else None
        with VerticalScroll(classes="dialog wide"):
            yield Static(
                _("New session") if s is None else _("Edit the session"), classes="dialog-title"
            )
            yield from self.field(
                "label", _("Name"), s.label if s else "", placeholder=_("e.g. Session 1")
            )
            yield from self.field(
                "day",
                _("Date"),
                f"{start:%Y-%m-%d}" if start else "",
                placeholder=_("YYYY-MM-DD"),
            )
            yield from self.field(
                "start", _("Starts"), f"{start:%H:%M}" if start else "", placeholder=_("HH:MM")
            )
            yield from self.field(
                "end", _("Ends"), f"{end:%H:%M}" if end else "", placeholder=_("HH:MM")
            )
            yield from self.field(
                "capacity",
                _("Places"),
                str(s.capacity) if s else "",
                placeholder=_("how many can come"),
            )
            own = s.location if s and s.location != self.event_place else ""
            yield from self.field("place", _("Place"), own, placeholder=_("empty: the event's"))
            yield Static(_("Times are Norwegian time (Europe/Oslo)."), classes="hint")
            if s is not None:
                yield Static(
                    _("More places go at once to those on the waiting list, first come first."),
                    classes="hint",
                )
            yield from self.buttons()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#se-label", Input).focus()

    def _times(self) -> tuple[datetime, datetime, int] | None:
        """The form's day, times and places; None (with the field's message) if one is not
        written as asked."""
        try:
            day = date.fromisoformat(self.value("day").strip())
        except ValueError:
            self.error("day", _("Write the date as YYYY-MM-DD, e.g. 2026-12-10."))
            return None
        moments = []
        for name in ("start", "end"):
            parsed = parse_clock(self.value(name))
            if parsed is None:
                self.error(name, _("Write the time as HH:MM, e.g. 18:00."))
                return None
            moments.append(datetime.combine(day, parsed, LOCAL))
        try:
            capacity = int(self.value("capacity").strip())
        except ValueError:
            self.error("capacity", _("Write the number of places as a whole number."))
            return None
        return moments[0], moments[1], capacity

    def save(self) -> None:
        from store.events import add_session, update_session

        self.clear_errors()
        times = self._times()
        if times is None:
            return
        starts_at, ends_at, capacity = times
        label = self.value("label")
        place = self.value("place")
        event_id = self.event_id
        session_id = self.session.id if self.session is not None else None

        def save(backend) -> int:
            if session_id is None:
                return add_session(
                    backend.db,
                    actor=self.actor,
                    event_id=event_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    capacity=capacity,
                    label=label,
                    location=place,
                )
            return update_session(
                backend.db,
                backend.key,
                actor=self.actor,
                session_id=session_id,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=capacity,
                label=label,
                location=place,
                mail=event_mail_for(backend),
            )

        self.submit(save)


def parse_clock(text: str) -> time | None:
    """18:00, 18.00 or 1800 → 18:00; None if it is not a time of day."""
    text = text.strip().replace(".", ":")
    if ":" not in text and len(text) in (3, 4) and text.isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    hours, _sep, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return time(h, m)
