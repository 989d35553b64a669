"""Surveys, their questions, the invitations sent for them and the answers that come back."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ._fields import Moment, created_at, moment


class SurveyStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
    archived = "archived"


class QuestionKind(StrEnum):
    single = "single"
    multiple = "multiple"
    scale = "scale"
    text = "text"
    number = "number"


class Survey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    intro: str = ""
    thanks: str = ""
    anonymous: bool = True
    status: str = Field(default=SurveyStatus.draft, index=True)
    opens_at: Moment = moment()
    closes_at: Moment = moment()
    # Reminders: sent this many days after the invitation (None: only by hand), at most this many.
    remind_after_days: int | None = None
    max_reminders: int = 1
    # Raised by every save; a save that read an older number lost a race and is refused.
    version: int = 1
    # "What we learned and what happens next", published with the results for everyone to read.
    learned: str | None = None
    results_published_at: Moment = moment()
    created_by: int | None = Field(default=None, foreign_key="staff.id", ondelete="SET NULL")
    created_at: datetime = created_at()
    updated_at: Moment = moment()


class Question(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("survey_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True, ondelete="CASCADE")
    position: int
    key: str  # the id a survey file gives the question, used by show_if
    kind: str
    text: str
    required: bool = False
    min_value: int | None = None
    max_value: int | None = None
    min_label: str | None = None
    max_label: str | None = None
    max_length: int | None = None
    # {"question key": "option label" or [labels]}: ask only when an earlier answer matches.
    show_if: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class Option(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True, ondelete="CASCADE")
    position: int
    label: str


class Invitation(SQLModel, table=True):
    # The unique (survey, participant) index also serves every lookup by survey alone.
    __table_args__ = (UniqueConstraint("survey_id", "participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    # HMAC of the personal link's token under the server key; the token itself is never stored.
    token_hash: str = Field(unique=True)
    # Random; the token is a keyed hash of it, so reminders can repeat the same link while a
    # copy of the database alone cannot make it (see store/links.py).
    link_salt: str | None = None
    batch_id: int | None = Field(
        default=None, foreign_key="send_batch.id", index=True, ondelete="SET NULL"
    )
    reminders: int = 0
    # Answers given so far, kept until the resident submits, so the same link resumes.
    draft: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = created_at()
    started_at: Moment = moment()
    sent_at: Moment = moment()
    reminded_at: Moment = moment()
    completed_at: Moment = moment()


class Response(SQLModel, table=True):
    """One submitted answer sheet. Anonymous ones keep only coarse demographics."""

    # A survey's responses, and its answers a day, read from the index alone.
    __table_args__ = (Index("ix_response_survey_day", "survey_id", "submitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", ondelete="CASCADE")
    invitation_id: int | None = Field(
        default=None, foreign_key="invitation.id", unique=True, ondelete="SET NULL"
    )
    participant_id: int | None = Field(
        default=None, foreign_key="participant.id", index=True, ondelete="SET NULL"
    )
    age_band: str | None = None
    gender: str | None = None
    district: str | None = None
    submitted_at: datetime = created_at()


class Answer(SQLModel, table=True):
    """One value: a chosen option (one row per option for multiple choice), a number or a text."""

    # Results count a question's answers by option or by value, and the respondents of a
    # multiple-choice question: each from an index alone, in its order, without the table.
    __table_args__ = (
        Index("ix_answer_results", "question_id", "option_id", "number_value", "response_id"),
        Index("ix_answer_respondents", "question_id", "response_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True, ondelete="CASCADE")
    question_id: int = Field(foreign_key="question.id", ondelete="CASCADE")
    option_id: int | None = Field(default=None, foreign_key="option.id", ondelete="CASCADE")
    number_value: float | None = None
    text_value: str | None = None
    # A free-text answer staff chose to quote in the published report.
    quoted: bool = False
