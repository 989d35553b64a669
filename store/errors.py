"""Errors that store operations raise, each with a message fit to show a staff member."""


class PanelError(Exception):
    """Base class for refusals a caller is expected to show, not crash on."""


class PermissionDenied(PanelError):
    """The acting staff member's role does not allow the operation."""


class NotFound(PanelError):
    """The record the operation names does not exist."""


class Invalid(PanelError):
    """Input that breaks a rule; the message says which field and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class LoginFailed(PanelError):
    """Username, password or code was wrong, or the account is locked or disabled.

    The message never says which, so that a guesser learns nothing.
    """


class Conflict(PanelError):
    """Someone else changed the record since it was read; nothing was written."""


class Refused(PanelError):
    """The operation would break something already there (say, answers); the message says what."""
