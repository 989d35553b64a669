"""The staff terminal app: login first, then the panel's sections as modes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, get_current_worker

from .backend import Backend, open_backend
from .i18n import _
from .labels import local_time
from .palette import PanelCommands
from .screens.help import HelpScreen
from .screens.lock import LockScreen
from .screens.login import LoginScreen
from .sections import SECTIONS, Section
from .settings import Settings, SettingsError

if TYPE_CHECKING:
    from store.actors import Actor

T = TypeVar("T")

# Actions that need someone logged in and the app unlocked.
_GUARDED = {"section", "help", "lock", "logout", "command_palette"}


class PanelApp(App[int]):
    """Innbyggerpanelet for staff. Screens reach the database only through `run_store`."""

    CSS_PATH = "app.tcss"
    TITLE = "Innbyggerpanelet"
    DEFAULT_MODE = "login"
    MODES: ClassVar[dict[str, Callable[[], Screen]]] = {
        "login": LoginScreen,
        **{name: section.screen for name, section in SECTIONS.items()},
    }
    COMMANDS = App.COMMANDS | {PanelCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", _("Help"), id="help"),
        *(
            Binding(s.key, f"section('{name}')", _(s.title), id=name, show=name == "home")
            for name, s in SECTIONS.items()
        ),
        Binding("ctrl+l", "lock", _("Lock"), id="lock"),
        Binding("f12", "logout", _("Log out"), id="logout", show=False),
        Binding("ctrl+q", "quit", _("Quit"), id="quit", priority=True),
        Binding(
            "ctrl+p", "command_palette", _("commands"), id="palette", show=False, priority=True
        ),
        # Focus moves as Tab is read, so the keys typed right after it reach the next field
        # even when they arrive in the same burst (a fast typist, or a paste, over SSH).
        Binding("tab", "focus_next", _("Next field"), id="next-field", show=False, priority=True),
        Binding(
            "shift+tab",
            "focus_previous",
            _("Previous field"),
            id="previous-field",
            show=False,
            priority=True,
        ),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        backend: Backend | None = None,
        idle_lock_seconds: float | None = None,
        login_hint: str = "",
        mail_note: str = "",
        guide: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.login_hint = login_hint
        self.mail_note = mail_note  # where email goes, when that is worth saying (the demo)
        # The demo's guide through the loop on the home screen: {"maildir": …, "site": …}.
        self.guide = guide
        self.seen: set[str] = set()  # screens opened since the app started, for the guide
        self.backend: Backend | None = backend
        self.dispatcher = None  # a BackgroundDispatcher when the app sends email itself
        self.startup_error: str | None = None
        self.actor: Actor | None = None
        self.locked = False
        self.idle_lock_seconds = idle_lock_seconds or settings.idle_lock_minutes * 60
        self._last_input = time.monotonic()

    # Start-up ---------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.backend is None:
            # After the first paint: the import competes for the GIL with painting the login.
            self.call_after_refresh(self._open_backend)
        else:
            self._start_dispatcher()
        self.set_interval(min(5.0, self.idle_lock_seconds / 2), self._lock_if_idle)

    @work(thread=True, exclusive=True, group="backend", exit_on_error=False)
    def _open_backend(self) -> None:
        try:
            backend = open_backend(self.settings)
        except SettingsError as exc:
            self.call_from_thread(self._cannot_start, str(exc))
            return
        self.call_from_thread(self._backend_ready, backend)

    def _backend_ready(self, backend: Backend) -> None:
        self.backend = backend
        self._start_dispatcher()

    def _start_dispatcher(self) -> None:
        if self.settings.dispatch_in_app and self.backend is not None and self.dispatcher is None:
            from .dispatching import BackgroundDispatcher

            self.dispatcher = BackgroundDispatcher(self.backend, self.settings).start()

    def _cannot_start(self, reason: str) -> None:
        self.startup_error = reason
        self.exit(return_code=2)

    # Store calls ------------------------------------------------------------------------------

    def run_store(
        self,
        owner: Any,
        call: Callable[[Backend], T],
        done: Callable[[T], Any],
        *,
        failed: Callable[[Exception], Any] | None = None,
        group: str = "store",
        exclusive: bool = False,
        latest: bool = False,
    ) -> None:
        """Run `call(backend)` in a thread worker of `owner`, then `done(result)` on the UI thread.

        A refusal from the store (a `PanelError`) goes to `failed`, or to a notification.
        `exclusive` suits reads only: a newer call of the group cancels an older one not yet run.
        `latest` goes further: an older call already running has its result dropped, so that
        rows read before a change never paint over rows read after it.
        """
        from store.errors import PanelError

        def job() -> None:
            worker = get_current_worker()
            backend = self._wait_for_backend()
            try:
                result = call(backend)
            except PanelError as exc:
                self.call_from_thread(failed or self._notify_refusal, exc)
                return
            except Exception as exc:  # a fault, not a refusal: report it and keep the app up
                self.log.error("store call failed", exc)
                self.call_from_thread(self._notify_fault, exc)
                if failed is not None:
                    self.call_from_thread(failed, exc)
                return
            self.call_from_thread(deliver, worker, result)

        def deliver(worker: Worker, result: T) -> Any:
            # Judged on the UI thread, where a newer call of the group cancels this one. What
            # `done` returns goes back to call_from_thread, which awaits a coroutine.
            if latest and worker.is_cancelled:
                return None
            return done(result)

        owner.run_worker(
            job, thread=True, exclusive=exclusive or latest, group=group, exit_on_error=False
        )

    def _wait_for_backend(self) -> Backend:
        while self.backend is None:
            time.sleep(0.02)
        return self.backend

    def _notify_refusal(self, exc: Exception) -> None:
        self.notify(str(exc), title=_("Not done"), severity="error", timeout=8)

    def _notify_fault(self, exc: Exception) -> None:
        from .faults import describe

        self.notify(describe(exc), title=_("Something went wrong"), severity="error", timeout=15)

    # Login, lock and logout -------------------------------------------------------------------

    async def logged_in(self, actor: Actor) -> None:
        self.actor = actor
        self.locked = False
        self._last_input = time.monotonic()
        self.sub_title = f"{actor.username} ({_(actor.role.value)})"
        await self.switch_mode("home")
        self.refresh_bindings()
        self._tell_of_kept_work(actor)

    def _tell_of_kept_work(self, actor: Actor) -> None:
        """Unsaved changes kept from a session that ended (a dropped connection): where they are."""
        from . import drafts

        for draft in drafts.all_kept(actor.username):
            self.notify(
                _(
                    "Unsaved changes to the survey “{title}” from {when} were kept when your last "
                    "session ended: open it in Surveys (F4) to get them back."
                ).format(title=draft.title or _("(no title)"), when=local_time(draft.kept_at)),
                title=_("Kept for you"),
                timeout=20,
            )

    async def action_logout(self) -> None:
        self.actor = None
        self.locked = False
        self.sub_title = ""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        await self.switch_mode("login")
        for name, section in SECTIONS.items():
            if name in self._modes:
                await self.remove_mode(name)
            self.add_mode(name, section.screen)
        self.refresh_bindings()

    def action_lock(self) -> None:
        if self.actor is None or self.locked:
            return
        self.locked = True
        self.refresh_bindings()

        def unlocked(logout: bool | None) -> None:
            self.locked = False
            self._last_input = time.monotonic()
            if logout:
                self.run_worker(self.action_logout(), exclusive=True, group="logout")
            self.refresh_bindings()

        self.push_screen(LockScreen(), unlocked)

    def _lock_if_idle(self) -> None:
        if time.monotonic() - self._last_input >= self.idle_lock_seconds:
            self.action_lock()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not event.is_forwarded:
            self._last_input = time.monotonic()
        await super().on_event(event)

    # Sections ---------------------------------------------------------------------------------

    def section_allowed(self, section: Section) -> bool:
        return self.actor is not None and self.actor.role in section.roles

    async def action_section(self, name: str, action: str = "") -> None:
        """Open a section, and optionally run one of its screen's actions there."""
        section = SECTIONS[name]
        if not self.section_allowed(section):
            self.notify(_("Your role does not give access to this section."), severity="warning")
            return
        while len(self.screen_stack) > 1 and self.screen.is_modal:
            self.pop_screen()
        await self.switch_mode(name)
        if action:
            await self.screen.run_action(action)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _GUARDED and (self.actor is None or self.locked):
            return False
        if action == "section" and parameters:
            section = SECTIONS.get(str(parameters[0]))
            if section is None or not self.section_allowed(section):
                return None  # shown dimmed, refused with a message
        return True

    def on_unmount(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()  # finishes what is on the wire, gives the rest back
        if self.backend is not None:
            self.backend.close()


def create_app(settings: Settings, **kwargs: Any) -> PanelApp:
    """The one factory the command line and the tests both use."""
    return PanelApp(settings, **kwargs)
