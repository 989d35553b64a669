"""One participant: add or edit their details, change their status, see their contact history."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, SelectionList, Static

from ..i18n import N_, _
from ..labels import label, local_time
from .base import PanelScreen

GENDERS = ("female", "male", "other")
HISTORY_KINDS = {
    "invitation": N_("invitation"),
    "reminder": N_("reminder"),
    "answer": N_("answer"),
    "email": N_("email"),
    "workshop": N_("workshop"),
}


class ParticipantScreen(PanelScreen):
    """`participant_id` None adds a new participant."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Save"), id="participant-save"),
        Binding("escape", "close", _("Back"), id="participant-back"),
        Binding("ctrl+t", "status('paused')", _("Pause"), id="participant-pause"),
        Binding("ctrl+u", "status('unsubscribed')", _("Unsubscribe"), id="participant-unsub"),
        Binding("ctrl+r", "status('active')", _("Activate"), id="participant-activate"),
        Binding("f5", "access_export", _("Access export"), id="participant-access"),
        Binding("f6", "erase", _("Erase"), id="participant-erase"),
    ]
    ADMIN_ACTIONS = frozenset({"access_export", "erase"})

    def __init__(self, participant_id: int | None) -> None:
        super().__init__()
        self.participant_id = participant_id
        self.detail = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="participant"):
            yield Static(_("New participant"), classes="screen-title", id="participant-title")
            yield Static("", id="participant-status")
            for field, title in (("name", _("Name")), ("email", _("Email"))):
                with Horizontal(classes="field"):
                    yield Label(title)
                    yield Input(id=f"p-{field}")
            with Horizontal(classes="field"):
                yield Label(_("Gender"))
                yield Select(
                    [(label(g), g) for g in GENDERS],
                    prompt=_("not given"),
                    id="p-gender",
                    compact=True,
                )
            with Horizontal(classes="field"):
                yield Label(_("Birth year"))
                yield Input(id="p-birth_year", placeholder=_("e.g. 1984, or an age"))
            with Horizontal(classes="field"):
                yield Label(_("District"))
                yield Select([], prompt=_("not given"), id="p-district", compact=True)
            with Horizontal(classes="field"):
                yield Label(_("Language"))
                yield Select(
                    [(_("Norwegian (Bokmål)"), "nb"), (_("English"), "en")],
                    value="nb",
                    allow_blank=False,
                    id="p-language",
                    compact=True,
                )
            with Horizontal(classes="field"):
                yield Label(_("Source"))
                yield Input(id="p-source", placeholder=_("how they heard of the panel"))
            yield Label(_("Interests"))
            yield SelectionList(id="p-interests")
            yield Static("", classes="form-error", id="participant-error")
            yield Static(_("Contact history"), classes="box-title")
            history: DataTable = DataTable(id="p-history", cursor_type="row")
            history.add_columns(_("When"), _("What"), _("Details"))
            yield history
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.ADMIN_ACTIONS or action == "status":
            if self.participant_id is None:
                return False
            if action in self.ADMIN_ACTIONS and self.actor.role != "admin":
                return False
        return True

    def on_key(self, event: events.Key) -> None:
        """F5 and F6 are this form's (export, erase) even where the role has not got them: the
        keys never fall through to the sections of the same keys, away from the form."""
        action = {"f5": "access_export", "f6": "erase"}.get(event.key)
        if action is not None and not self.check_action(action, ()):
            event.stop()
            event.prevent_default()

    def on_mount(self) -> None:
        from store.history import participant_history
        from store.participants import get_participant
        from store.roster import filter_choices

        participant_id = self.participant_id

        def load(backend):
            choices = filter_choices(backend.db, actor=self.actor)
            detail, history = None, []
            if participant_id is not None:
                detail = get_participant(
                    backend.db, actor=self.actor, participant_id=participant_id
                )
                history = participant_history(
                    backend.db, actor=self.actor, participant_id=participant_id
                )
            return choices, detail, history

        self.store(load, self._loaded)

    def _loaded(self, result) -> None:
        choices, detail, history = result
        table = self.query_one("#p-history", DataTable)
        for item in history:
            table.add_row(
                local_time(item.at), _(HISTORY_KINDS.get(item.kind, item.kind)), item.description
            )
        self.query_one("#p-district", Select).set_options((d, d) for d in choices["district"])
        interests = self.query_one("#p-interests", SelectionList)
        chosen = set(detail.fields.interests) if detail else set()
        interests.add_options((name, name, name in chosen) for name in choices["interest"])
        if detail is None:
            self.query_one("#p-name", Input).focus()
            return
        self.detail = detail
        fields = detail.fields
        for field in ("name", "email", "birth_year", "source"):
            self.query_one(f"#p-{field}", Input).value = getattr(fields, field)
        for field in ("gender", "district", "language"):
            value = getattr(fields, field)
            if value:
                self.query_one(f"#p-{field}", Select).value = value
        self._show_status()
        self.query_one("#p-name", Input).focus()

    def _show_status(self) -> None:
        d = self.detail
        if d is None:
            return
        self.query_one("#participant-title", Static).update(d.fields.name)
        self.query_one("#participant-status", Static).update(
            _("Status: {status} · joined {joined} · last contacted {contacted}").format(
                status=label(d.status),
                joined=local_time(d.created_at),
                contacted=local_time(d.last_contacted_at),
            )
        )

    def _input(self):
        from store.participants import ParticipantInput

        def text(field: str) -> str:
            return self.query_one(f"#p-{field}", Input).value

        def choice(field: str) -> str:
            value = self.query_one(f"#p-{field}", Select).value
            return "" if value is Select.NULL else str(value)

        return ParticipantInput(
            name=text("name"),
            email=text("email"),
            gender=choice("gender"),
            birth_year=text("birth_year"),
            district=choice("district"),
            interests=tuple(self.query_one("#p-interests", SelectionList).selected),
            language=choice("language") or "nb",
            source=text("source"),
        )

    def action_save(self) -> None:
        from store.participants import create_participant, update_participant

        data = self._input()
        participant_id = self.participant_id

        def save(backend):
            if participant_id is None:
                return create_participant(backend.db, actor=self.actor, data=data)
            update_participant(
                backend.db, actor=self.actor, participant_id=participant_id, data=data
            )
            return participant_id

        self.store(save, self._saved, failed=self._refused)

    def _saved(self, participant_id: int) -> None:
        self.notify(_("Saved."))
        self.dismiss_to_roster()

    def _refused(self, exc: Exception) -> None:
        from ..faults import describe

        # The typed text stays in the form; only the message changes.
        self.query_one("#participant-error", Static).update(describe(exc))
        field = getattr(exc, "field", "")
        shown = self.query(f"#p-{field}") if field else None  # status has no field
        if shown:
            shown.first().focus()

    def action_status(self, status: str) -> None:
        from store.participants import get_participant, set_status

        if self.participant_id is None:
            return
        participant_id = self.participant_id

        def change(backend):
            set_status(backend.db, actor=self.actor, participant_id=participant_id, status=status)
            return get_participant(backend.db, actor=self.actor, participant_id=participant_id)

        def changed(detail) -> None:
            self.detail = detail
            self._show_status()
            self.notify(_("Status is now {status}.").format(status=label(status)))

        self.store(change, changed, failed=self._refused)

    def action_access_export(self) -> None:
        """Everything held about them, as JSON and as readable text, in the home directory."""
        from store.privacy import access_export

        participant_id = self.participant_id
        if participant_id is None:
            return

        def export(backend):
            result = access_export(backend.db, actor=self.actor, participant_id=participant_id)
            stem = Path.home() / f"innsyn-{participant_id}-{date.today().isoformat()}"
            written = []
            for suffix, text in ((".json", result.as_json()), (".txt", result.as_text())):
                path = stem.with_suffix(suffix)
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                    handle.write(text)
                written.append(str(path))
            return written

        def done(paths: list[str]) -> None:
            self.notify(_("Written: {files}").format(files=", ".join(paths)), timeout=15)

        self.store(export, done, failed=self._refused)

    def action_erase(self) -> None:
        from .confirm import ConfirmScreen

        if self.participant_id is None or self.detail is None:
            return
        participant_id = self.participant_id

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from store.privacy import erase_participant

            def erase(backend):
                return erase_participant(
                    backend.db, actor=self.actor, participant_id=participant_id
                )

            self.store(erase, self._erased, failed=self._refused)

        self.app.push_screen(
            ConfirmScreen(
                _(
                    "Erase {name} for good? Their personal data is removed everywhere; "
                    "anonymous answers are kept."
                ).format(name=self.detail.fields.name)
            ),
            answered,
        )

    def _erased(self, result) -> None:
        if result.storage_cleaned:
            self.notify(_("Erased."))
        else:
            self.notify(
                _(
                    "Erased. Old copies stay in the database file until other sessions finish "
                    "reading; they are cleared then."
                ),
                severity="warning",
                timeout=15,
            )
        self.dismiss_to_roster()

    def action_close(self) -> None:
        self.dismiss_to_roster()

    def dismiss_to_roster(self) -> None:
        self.app.pop_screen()
