"""The panel at a glance: counts for the home screen and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import select

from .actors import Actor
from .db import Database
from .models import Message, Participant, ParticipantStatus, Survey


@dataclass(frozen=True)
class Overview:
    participants: dict[str, int] = field(default_factory=dict)
    surveys: dict[str, int] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)

    @property
    def active_participants(self) -> int:
        return self.participants.get(ParticipantStatus.active, 0)


def panel_overview(db: Database, *, actor: Actor) -> Overview:
    """Counts by status; every role may see these, since they name nobody."""
    del actor  # any logged-in role
    with db.read() as session:
        return Overview(
            participants=_count_by(session, Participant.status),
            surveys=_count_by(session, Survey.status),
            messages=_count_by(session, Message.status),
        )


def _count_by(session, column) -> dict[str, int]:
    rows = session.exec(select(column, func.count()).group_by(column)).all()
    return {status: count for status, count in rows}
