"""Who is acting, and the role checks every store operation makes before it touches data."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from .errors import PermissionDenied
from .roles import Role


@dataclass(frozen=True)
class Actor:
    """A logged-in staff member, or the operator at the server's shell (`id` is None)."""

    id: int | None
    username: str
    role: Role

    @classmethod
    def operator(cls) -> Actor:
        """Whoever runs `panel` subcommands on the server: shell access there is admin access.
        Through sudo, the person who ran it is named, not the service user it ran as."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        through = os.environ.get("SUDO_USER", "")
        if through and through != user:
            user = f"{through} as {user}"
        return cls(id=None, username=f"shell:{user}", role=Role.admin)

    @classmethod
    def schedule(cls) -> Actor:
        """The worker when it acts on a schedule staff set (reminders), as an editor would."""
        return cls(id=None, username="schedule", role=Role.editor)

    @classmethod
    def resident(cls, participant_id: int) -> Actor:
        """A resident acting on their own record, through a link only they were sent."""
        return cls(id=None, username=f"resident:{participant_id}", role=Role.admin)

    def can(self, *roles: Role) -> bool:
        return self.role in roles

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = " or ".join(r.value for r in roles)
            raise PermissionDenied(f"this needs the {allowed} role; you are {self.role.value}")
