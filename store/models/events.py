"""Workshops and co-creation: an activity with its sessions, the residents who volunteered,
the draws that chose among them, and who was invited, answered and came."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..timeutil import UTCDateTime
from ._fields import Moment, created_at, moment


class EventStatus(StrEnum):
    open = "open"  # residents may volunteer and answer their invitations
    closed = "closed"  # done or called off: the residents' pages say so


class RsvpState(StrEnum):
    invited = "invited"  # no answer yet
    accepted = "accepted"  # has a place in a session
    declined = "declined"
    waitlisted = "waitlisted"  # wants a session that was full; promoted when a place frees up
    cancelled = "cancelled"  # withdrawn by staff, or the resident left the panel


class Event(SQLModel, table=True):
    """An activity (a workshop, a co-creation day) with one or more sessions."""

    id: int | None = Field(default=None, primary_key=True)
    title: str
    description: str = ""
    location: str = ""
    status: str = EventStatus.open
    # The survey its volunteers may come from (a question such as "May we invite you?").
    survey_id: int | None = Field(default=None, foreign_key="survey.id", ondelete="SET NULL")
    created_by_name: str | None = None
    created_at: datetime = created_at()


class EventSession(SQLModel, table=True):
    """One sitting of an event: when, and how many places."""

    __tablename__ = "event_session"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    label: str = ""
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    capacity: int
    location: str = ""  # where it differs from the event's
    # Raised when its time or place changes, so calendars take the new file as an update.
    sequence: int = 0
    created_at: datetime = created_at()


class EventVolunteer(SQLModel, table=True):
    """A resident asked to volunteer for an event (a call), or who volunteered (by the call's
    link, in a survey, or entered by staff)."""

    __tablename__ = "event_volunteer"  # type: ignore[assignment]
    __table_args__ = (UniqueConstraint("event_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    source: str  # call, survey, staff
    # A call's personal link: its token is a keyed hash of the salt, and only the token's
    # keyed hash is looked up by (as for survey invitations).
    link_salt: str | None = None
    token_hash: str | None = Field(default=None, unique=True)
    asked_at: Moment = moment()
    volunteered_at: Moment = moment()
    declined_at: Moment = moment()
    created_at: datetime = created_at()


class EventDraw(SQLModel, table=True):
    """A draw among an event's volunteers: everything needed to explain and repeat it."""

    __tablename__ = "event_draw"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    method: str  # random, stratified
    strata: list[str] | None = Field(default=None, sa_type=JSON)  # e.g. [age_band, gender]
    favour: bool = False  # seats in proportion to the population, not to the volunteers
    seed: int
    size: int
    pool: list[int] | None = Field(default=None, sa_type=JSON)  # volunteers drawn from, sorted
    chosen: list[int] | None = Field(default=None, sa_type=JSON)  # in draw order
    report: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)  # per stratum
    created_by: int | None = Field(default=None, foreign_key="staff.id", ondelete="SET NULL")
    created_by_name: str | None = None
    created_at: datetime = created_at()


class EventInvite(SQLModel, table=True):
    __tablename__ = "event_invite"  # type: ignore[assignment]
    __table_args__ = (
        UniqueConstraint("event_id", "participant_id"),
        Index("ix_event_invite_session_state", "session_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    draw_id: int | None = Field(default=None, foreign_key="event_draw.id", ondelete="SET NULL")
    token_hash: str = Field(unique=True)
    link_salt: str | None = None
    state: str = RsvpState.invited
    # The session accepted, or waited for.
    session_id: int | None = Field(
        default=None, foreign_key="event_session.id", ondelete="SET NULL"
    )
    invited_at: datetime = created_at()
    responded_at: Moment = moment()
    waitlisted_at: Moment = moment()  # the waiting list is served in this order
    attended: bool | None = None  # recorded afterwards; None: not recorded
