"""The panel's tables. Importing this package registers every table on `SQLModel.metadata`."""

from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from .audit import AuditEvent  # noqa: E402
from .events import (  # noqa: E402
    Event,
    EventDraw,
    EventInvite,
    EventSession,
    EventStatus,
    EventVolunteer,
    RsvpState,
)
from .outbox import Letter, Message, MessageStatus, PanelFlag, SendBatch  # noqa: E402
from .participants import (  # noqa: E402
    Interest,
    Participant,
    ParticipantInterest,
    ParticipantStatus,
    PopulationCell,
    RecruitmentChannel,
)
from .staff import RecoveryCode, Role, Staff  # noqa: E402
from .surveys import (  # noqa: E402
    Answer,
    Invitation,
    Option,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyStatus,
)

__all__ = [
    "Answer",
    "AuditEvent",
    "Event",
    "EventDraw",
    "EventInvite",
    "EventSession",
    "EventStatus",
    "EventVolunteer",
    "Interest",
    "Invitation",
    "Letter",
    "Message",
    "MessageStatus",
    "Option",
    "PanelFlag",
    "Participant",
    "ParticipantInterest",
    "ParticipantStatus",
    "PopulationCell",
    "Question",
    "QuestionKind",
    "RecoveryCode",
    "RecruitmentChannel",
    "Response",
    "Role",
    "RsvpState",
    "SendBatch",
    "Staff",
    "Survey",
    "SurveyStatus",
]
