"""All surveys: status, dates, answers; open one to edit, preview it, move it through its life."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from store.roles import Role

from ..i18n import N_, _
from ..labels import label, thousands
from .base import PanelScreen
from .confirm import ConfirmScreen
from .path_prompt import PathPrompt

KIND_LABELS = {
    "single": N_("single choice"),
    "multiple": N_("multiple choice"),
    "scale": N_("scale"),
    "text": N_("free text"),
    "number": N_("number"),
}
# Where each key takes a survey, and the words for it.
MOVES = {
    "open": (("draft", "closed"), N_("Open “{title}” for answers?")),
    "closed": (("open", "archived"), N_("Close “{title}”? No more answers will be taken.")),
    "archived": (("closed",), N_("Archive “{title}”? It leaves the everyday list.")),
}
EDITING = (
    "add",
    "edit",
    "duplicate",
    "delete",
    "import_file",
    "open_survey",
    "close_survey",
    "archive_survey",
    "send",
    "remind",
    "publish_results",
)


def day(value) -> str:
    return value.isoformat() if value else "–"


class SurveysScreen(PanelScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "edit", _("Edit"), id="surveys-edit"),
        Binding("n", "add", _("New"), id="surveys-new"),
        Binding("v", "preview", _("Preview"), id="surveys-preview"),
        Binding("R", "results", _("Results"), id="surveys-results"),
        Binding("o", "open_survey", _("Open"), id="surveys-open"),
        Binding("c", "close_survey", _("Close"), id="surveys-close"),
        Binding("A", "archive_survey", _("Archive"), id="surveys-archive", show=False),
        Binding("s", "send", _("Send"), id="surveys-send"),
        Binding("m", "remind", _("Remind"), id="surveys-remind", show=False),
        Binding("d", "duplicate", _("Duplicate"), id="surveys-duplicate"),
        Binding("delete", "delete", _("Delete"), id="surveys-delete", show=False),
        Binding("i", "import_file", _("Import"), id="surveys-import", show=False),
        Binding("x", "export", _("Export"), id="surveys-export", show=False),
        Binding("r", "refresh", _("Refresh"), id="surveys-refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, object] = {}
        self.select_next: int | None = None  # the survey to select once the list is in
        self.loaded = False
        self.waiting: str | None = None  # an action asked for before the list had loaded

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Surveys"), classes="screen-title")
        table: DataTable = DataTable(id="surveys", cursor_type="row", zebra_stripes=True)
        table.add_columns(
            _("Title"),
            _("Status"),
            _("Opens"),
            _("Closes"),
            _("Questions"),
            _("Invited"),
            _("Answered"),
            _("Rate"),
        )
        yield table
        yield Static(_("No surveys yet: press n to write one, or i to import a file."), id="hint")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in EDITING and not self.actor.can(Role.admin, Role.editor):
            return None  # analysts read and preview; they do not change surveys
        return True

    # Reading ----------------------------------------------------------------------------------

    def action_refresh(self, select: int | None = None) -> None:
        from store.surveys import list_surveys

        if select is not None:
            # Kept on the screen, not in the call: a newer load (the screen resuming as a
            # dialog closes) replaces this one, and must still select the survey.
            self.select_next = select
        self.load(lambda backend: list_surveys(backend.db, actor=self.actor), self._show)

    def _show(self, rows) -> None:
        table = self.query_one("#surveys", DataTable)
        keep, self.select_next = self.select_next or self.selected(), None
        self.rows = {row.id: row for row in rows}
        table.clear()
        for row in rows:
            rate = row.response_rate
            table.add_row(
                row.title,
                label(row.status),
                day(row.opens_on),
                day(row.closes_on),
                str(row.questions),
                thousands(row.invited),
                thousands(row.answered),
                f"{rate:.0%}" if rate is not None else "–",
                key=str(row.id),
            )
        self.query_one("#hint").display = not rows
        if keep is not None and str(keep) in table.rows:
            table.move_cursor(row=table.get_row_index(str(keep)))
        self.loaded = True
        if self.waiting is not None:
            action, self.waiting = self.waiting, None
            self.call_after_refresh(self.run_action, action)

    def selected(self) -> int | None:
        table = self.query_one("#surveys", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def _title(self, survey_id: int) -> str:
        row = self.rows.get(survey_id)
        return getattr(row, "title", str(survey_id))

    # Acting -----------------------------------------------------------------------------------

    def action_add(self) -> None:
        from .survey_editor import SurveyEditor

        self.app.push_screen(SurveyEditor(None))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table reads it first) edits, or previews for an analyst."""
        event.stop()
        if self.check_action("edit", ()):
            self.action_edit()
        else:
            self.action_preview()

    def action_edit(self) -> None:
        from .survey_editor import SurveyEditor

        survey_id = self.selected()
        if survey_id is not None:
            self.app.push_screen(SurveyEditor(survey_id))

    def action_preview(self) -> None:
        from store.surveys import get_survey

        from .survey_preview import SurveyPreview

        survey_id = self.selected()
        if survey_id is None:
            return
        self.store(
            lambda backend: get_survey(backend.db, actor=self.actor, survey_id=survey_id),
            lambda detail: self.app.push_screen(SurveyPreview(detail.spec)),
        )

    def action_results(self) -> None:
        self._results("results", publish=False)

    def action_publish_results(self) -> None:
        """The selected survey's results, with the publish dialog over them."""
        self._results("publish_results", publish=True)

    def _results(self, action: str, *, publish: bool) -> None:
        from .results import ResultsScreen

        survey_id = self.selected()
        if survey_id is None:
            if not self.loaded:  # from the palette, before the list is in
                self.waiting = action
            return
        row = self.rows.get(survey_id)
        if getattr(row, "status", None) == "draft":
            draft = _("“{title}” is a draft: it has no answers yet.")
            self.notify(draft.format(title=self._title(survey_id)), severity="warning")
            return
        live = getattr(row, "status", None) == "open"
        screen = ResultsScreen(survey_id, self._title(survey_id), live=live, publish=publish)
        self.app.push_screen(screen)

    def action_open_survey(self) -> None:
        self.move("open")

    def action_close_survey(self) -> None:
        self.move("closed")

    def action_archive_survey(self) -> None:
        self.move("archived")

    def move(self, status: str) -> None:
        from store.surveys import set_survey_status

        survey_id = self.selected()
        row = self.rows.get(survey_id) if survey_id is not None else None
        if row is None:
            return
        sources, question = MOVES[status]
        if row.status not in sources:
            self.notify(
                _("A {status} survey cannot be {target}.").format(
                    status=label(row.status), target=label(status)
                ),
                severity="warning",
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.store(
                    lambda backend: set_survey_status(
                        backend.db, actor=self.actor, survey_id=row.id, status=status
                    ),
                    lambda _none: self.action_refresh(),
                )

        self.app.push_screen(ConfirmScreen(_(question).format(title=row.title)), answered)

    def _open_row(self):
        """The selected survey if it is open for answers; else a word why not, and None."""
        survey_id = self.selected()
        row = self.rows.get(survey_id) if survey_id is not None else None
        if row is not None and row.status != "open":
            self.notify(_("Open the survey (o) before sending or reminding."), severity="warning")
            return None
        return row

    def action_send(self) -> None:
        from .send_dialog import SendDialog

        row = self._open_row()
        if row is None:
            return

        def sent(count: int | None) -> None:
            if count:
                self.notify(
                    _("{n} invitations queued; they go out as the dispatcher sends them.").format(
                        n=count
                    )
                )
                self.action_refresh()

        self.app.push_screen(SendDialog(row.id, row.title), sent)

    def action_remind(self) -> None:
        from ..cli_send import remind_survey

        row = self._open_row()
        if row is None:
            return

        def remind(backend):
            return remind_survey(backend, backend.settings, actor=self.actor, survey_id=row.id)

        def answered(yes: bool | None) -> None:
            if yes:
                self.store(
                    remind,
                    lambda queued: self.notify(_("{n} reminders queued.").format(n=queued.queued)),
                )

        question = _("Remind everyone invited to “{title}” who has not answered?")
        self.app.push_screen(ConfirmScreen(question.format(title=row.title)), answered)

    def action_duplicate(self) -> None:
        from store.surveys import duplicate_survey

        survey_id = self.selected()
        if survey_id is None:
            return
        title = _("{title} (copy)").format(title=self._title(survey_id))

        def done(new_id: int) -> None:
            self.notify(_("A new draft: “{title}”.").format(title=title))
            self.action_refresh(select=new_id)

        self.store(
            lambda backend: duplicate_survey(
                backend.db, actor=self.actor, survey_id=survey_id, title=title
            ),
            done,
        )

    def action_delete(self) -> None:
        from store.surveys import delete_survey

        survey_id = self.selected()
        if survey_id is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.store(
                    lambda backend: delete_survey(
                        backend.db, actor=self.actor, survey_id=survey_id
                    ),
                    lambda _none: self.action_refresh(),
                )

        question = _("Delete the draft “{title}”? This cannot be undone.")
        self.app.push_screen(ConfirmScreen(question.format(title=self._title(survey_id))), answered)

    def action_import_file(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is None:
                return
            from store.survey_files import read_survey_file
            from store.surveys import create_survey

            def load(backend):
                return create_survey(backend.db, actor=self.actor, spec=read_survey_file(path))

            def done(new_id: int) -> None:
                self.notify(_("Imported {file} as a new draft.").format(file=path.name))
                self.action_refresh(select=new_id)

            self.store(load, done)

        self.app.push_screen(
            PathPrompt(_("Import a survey"), _("A survey file in YAML"), str(Path.home())), chosen
        )

    def action_export(self) -> None:
        survey_id = self.selected()
        if survey_id is None:
            return
        default = Path.home() / f"survey-{survey_id}.yaml"

        def chosen(path: Path | None) -> None:
            if path is None:
                return
            from store.survey_files import export_survey_file

            self.store(
                lambda backend: export_survey_file(
                    backend.db, actor=self.actor, survey_id=survey_id, path=path
                ),
                lambda _none: self.notify(_("Written to {path}.").format(path=path)),
            )

        self.app.push_screen(
            PathPrompt(_("Export the survey"), _("Where to write the YAML file"), str(default)),
            chosen,
        )
