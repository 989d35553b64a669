"""What every screen of the app shares: typed access to the app and its store calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from store.actors import Actor

    from ..app import PanelApp
    from ..backend import Backend

T = TypeVar("T")


class StoreCalls:
    """Mixin: `self.store(call, done)` runs a store function off the UI thread."""

    @property
    def panel(self) -> PanelApp:
        return self.app  # type: ignore[attr-defined,return-value]

    @property
    def actor(self) -> Actor:
        actor = self.panel.actor
        assert actor is not None, "section screens exist only after login"
        return actor

    def store(
        self,
        call: Callable[[Backend], T],
        done: Callable[[T], Any],
        *,
        failed: Callable[[Exception], Any] | None = None,
        group: str = "store",
        exclusive: bool = False,
        latest: bool = False,
    ) -> None:
        self.panel.run_store(
            self, call, done, failed=failed, group=group, exclusive=exclusive, latest=latest
        )

    def load(self, call: Callable[[Backend], T], done: Callable[[T], Any]) -> None:
        """A read of what the screen shows; only the newest call's result reaches the screen."""
        self.store(call, done, group="load", latest=True)


class PanelScreen(StoreCalls, Screen[None]):
    """A full screen of the app."""


class PanelModal(StoreCalls, ModalScreen[T]):
    """A dialog over the current screen that returns a value when dismissed."""
