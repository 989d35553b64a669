"""Column helpers shared by the tables."""

from datetime import datetime
from typing import Any

from sqlmodel import Field

from ..timeutil import UTCDateTime, utcnow


def created_at() -> Any:
    """A creation time, set by the application in UTC."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def moment(*, index: bool = False) -> Any:
    """An optional point in time, in UTC."""
    return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)


Moment = datetime | None
