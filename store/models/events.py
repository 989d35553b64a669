"""Workshops and co-creation sessions, and who is invited to them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ._fields import Moment, created_at, moment


class RsvpState(StrEnum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class Event(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    description: str = ""
    location: str = ""
    starts_at: Moment = moment()
    ends_at: Moment = moment()
    capacity: int = 0
    status: str = "draft"
    survey_id: int | None = Field(default=None, foreign_key="survey.id", ondelete="SET NULL")
    created_at: datetime = created_at()


class EventInvite(SQLModel, table=True):
    __tablename__ = "event_invite"  # type: ignore[assignment]
    __table_args__ = (UniqueConstraint("event_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True)
    state: str = RsvpState.invited
    invited_at: datetime = created_at()
    responded_at: Moment = moment()
