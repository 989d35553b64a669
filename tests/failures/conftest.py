"""The staff app's `world` (an app over a real SQLite database), for the app's failures too."""

from tests.tui.conftest import world  # noqa: F401
