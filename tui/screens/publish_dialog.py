"""Publish a closed survey's results: say what was learned and what happens next, see how many
quotes are chosen, and publish. Publishing puts the report on the residents' pages and queues
a follow-up email to those who took part; publishing again updates the text, and nobody gets
the email twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Label, Static, TextArea

from ..i18n import _, ngettext
from ..labels import local_time, thousands
from .base import PanelModal
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from store.actors import Actor

    from ..backend import Backend

PUBLISHABLE = ("closed", "archived")  # the store refuses the others


@dataclass(frozen=True)
class PublishState:
    """What the dialog starts from."""

    survey_id: int
    title: str
    status: str
    anonymous: bool
    learned: str  # the text published now, or empty
    published_at: datetime | None
    quotes: int  # free-text answers chosen for the report
    address: str  # where residents read the report


@dataclass(frozen=True)
class PublishDone:
    queued: int  # follow-up emails queued now
    address: str
    first: bool  # published for the first time, not updated


def results_address(base_url: str, survey_id: int) -> str:
    return f"{base_url}/resultater/{survey_id}"


def publish_state(backend: Backend, *, actor: Actor, survey_id: int) -> PublishState:
    """Off the UI thread: the survey's status, its published text and the quotes chosen."""
    from store.publishing import publication

    found = publication(backend.db, actor=actor, survey_id=survey_id)
    return PublishState(
        survey_id=survey_id,
        title=found.title,
        status=found.status,
        anonymous=found.anonymous,
        learned=found.learned,
        published_at=found.published_at,
        quotes=found.quotes,
        address=results_address(backend.settings.base_url, survey_id),
    )


class PublishDialog(PanelModal["PublishDone | None"]):
    """Returns what publishing did, or None if cancelled."""

    DEFAULT_CSS = """
    PublishDialog #publish-learned {
        height: 10;
        border: round $panel-lighten-2;
    }
    PublishDialog #publish-learned:focus {
        border: round $primary;
    }
    PublishDialog #publish-length {
        color: $text-muted;
        text-align: right;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "publish", _("Publish"), id="publish-publish", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="publish-cancel"),
    ]

    def __init__(self, state: PublishState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        from store.publishing import MAX_QUOTES

        state = self.state
        with VerticalScroll(classes="dialog wide", id="publish-box"):
            yield Static(
                _("Publish the results of “{title}”").format(title=state.title),
                classes="dialog-title",
                markup=False,
            )
            if state.published_at is None:
                status = _(
                    "Not published yet. The report goes on the residents' pages at {address}, "
                    "and those who took part get an email with the link."
                )
            else:
                status = _(
                    "Published {when} at {address}. Publishing again updates the text; "
                    "nobody gets the email twice."
                )
            yield Static(
                status.format(address=state.address, when=local_time(state.published_at)),
                classes="hint",
                id="publish-status",
                markup=False,
            )
            yield Label(_("What we learned and what happens next"))
            yield TextArea(
                state.learned, id="publish-learned", soft_wrap=True, show_line_numbers=False
            )
            yield Static("", id="publish-length", markup=False)
            quotes = ngettext(
                "{n} quote chosen for the report (at most {most}).",
                "{n} quotes chosen for the report (at most {most}).",
                state.quotes,
            ).format(n=thousands(state.quotes), most=MAX_QUOTES)
            yield Static(
                quotes
                + " "
                + _("Choose them in the results: t on a free-text question, then Space."),
                id="publish-quotes",
                markup=False,
            )
            yield Static(_("Ctrl+S publishes; Escape cancels."), classes="hint", id="publish-keys")
            yield Static("", classes="form-error", id="publish-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one("#publish-learned", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        self._length()

    @on(TextArea.Changed, "#publish-learned")
    def _length(self) -> None:
        from store.publishing import MAX_LEARNED

        length = len(self.query_one("#publish-learned", TextArea).text.strip())
        self.query_one("#publish-length", Static).update(
            _("{n} of at most {most} characters").format(
                n=thousands(length), most=thousands(MAX_LEARNED)
            )
        )

    def action_publish(self) -> None:
        from store.publishing import MAX_LEARNED

        error = self.query_one("#publish-error", Static)
        error.update("")
        learned = self.query_one("#publish-learned", TextArea).text.strip()
        if not learned:
            error.update(_("Say what was learned and what happens next."))
            return
        if len(learned) > MAX_LEARNED:
            error.update(
                _("At most {most} characters, please.").format(most=thousands(MAX_LEARNED))
            )
            return
        if self.state.published_at is not None:
            self._publish(learned)  # an update: the emails went out the first time
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._publish(learned)

        question = _(
            "Publish the results of “{title}” on the residents' pages and email those who "
            "took part?"
        ).format(title=self.state.title)
        self.app.push_screen(ConfirmScreen(question), answered)

    def _publish(self, learned: str) -> None:
        from mail.compose import follow_up_letters
        from store.publishing import publish_results
        from store.sending import Mailing

        actor, state = self.actor, self.state

        def publish(backend: Backend) -> PublishDone:
            settings = backend.settings
            queued = publish_results(
                backend.db,
                actor=actor,
                survey_id=state.survey_id,
                learned=learned,
                letters=follow_up_letters(
                    title=state.title, mail_from=settings.mail_from, anonymous=state.anonymous
                ),
                mailing=Mailing(mail_from=settings.mail_from, base_url=settings.base_url),
            )
            address = results_address(settings.base_url, state.survey_id)
            return PublishDone(queued, address, first=state.published_at is None)

        # A refusal (say, the survey was opened again meanwhile) comes as a notification, and
        # the dialog stays with the text in it.
        self.store(publish, self.dismiss)

    def action_cancel(self) -> None:
        self.dismiss(None)
