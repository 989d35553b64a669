"""The command palette's panel commands: every section and action, reachable by name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .i18n import _

if TYPE_CHECKING:
    from .app import PanelApp


class PanelCommands(Provider):
    """Commands offered depend on who is logged in: a section a role may not open is not listed."""

    def _commands(self) -> Iterator[tuple[str, str, Callable[[], object]]]:
        from .sections import SECTIONS

        app: PanelApp = self.app  # type: ignore[assignment]
        if app.actor is None or app.locked:
            return
        for name, section in SECTIONS.items():
            if app.section_allowed(section):
                yield (
                    _("Go to: {title}").format(title=_(section.title)),
                    _(section.help),
                    partial(app.run_action, f"section('{name}')"),
                )
                for action in section.actions:
                    if action.roles is not None and app.actor.role not in action.roles:
                        continue
                    yield (
                        f"{_(section.title)}: {_(action.title)}",
                        _(action.help),
                        partial(app.run_action, f"section('{name}', '{action.action}')"),
                    )
        yield _("Help: all keys"), _("Every key binding, by screen"), app.action_help
        yield _("Lock the screen"), _("Ask for a fresh code before going on"), app.action_lock
        yield (
            _("Log out"),
            _("End this session and return to the login screen"),
            partial(app.run_action, "logout"),
        )

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
