"""Residents on the panel, their interests, and the reference population they should mirror."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from ._fields import Moment, created_at, moment


class ParticipantStatus(StrEnum):
    pending = "pending"  # signed up, email not yet confirmed
    active = "active"
    paused = "paused"
    unsubscribed = "unsubscribed"
    erased = "erased"


class Participant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, index=True)
    email: str | None = None
    # The address folded to lower case: the unique key that makes Ola@x.no and ola@x.no one person.
    email_key: str | None = Field(default=None, unique=True)
    gender: str | None = None
    birth_year: int | None = Field(default=None, index=True)
    district: str | None = Field(default=None, index=True)
    language: str = "nb"
    status: str = Field(default=ParticipantStatus.pending, index=True)
    source: str | None = Field(default=None, index=True)
    consent_version: str | None = None
    consent_at: Moment = moment()
    consent_note: str | None = None
    created_at: datetime = created_at()
    updated_at: Moment = moment()
    confirmed_at: Moment = moment()
    last_contacted_at: Moment = moment(index=True)
    erased_at: Moment = moment()
    # A mail server refused the address for good (5xx to RCPT): no more email until it is fixed.
    undeliverable_at: Moment = moment()
    undeliverable_reason: str | None = None
    # Paused by the resident (from an unsubscribe page): no email until then, then active again.
    paused_until: Moment = moment()


class Interest(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: datetime = created_at()


class ParticipantInterest(SQLModel, table=True):
    __tablename__ = "participant_interest"  # type: ignore[assignment]
    participant_id: int = Field(foreign_key="participant.id", primary_key=True, ondelete="CASCADE")
    interest_id: int = Field(
        foreign_key="interest.id", primary_key=True, ondelete="CASCADE", index=True
    )


class PopulationCell(SQLModel, table=True):
    """How many residents live in one district × gender × age band, from official statistics."""

    __tablename__ = "population_cell"  # type: ignore[assignment]

    __table_args__ = (UniqueConstraint("district", "gender", "age_band"),)

    id: int | None = Field(default=None, primary_key=True)
    district: str
    gender: str
    age_band: str
    count: int
    source: str | None = None
    created_at: datetime = created_at()


class RecruitmentChannel(SQLModel, table=True):
    """Where residents hear of the panel: a poster, an ad, a stand. Its sign-up link carries
    `?kilde={code}`, and those who sign up through it have it as their source."""

    __tablename__ = "recruitment_channel"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    label: str
    created_by_name: str | None = None
    created_at: datetime = created_at()
