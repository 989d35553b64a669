"""Staff accounts: who may log in to the terminal app, and with which role."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from ..roles import Role
from ._fields import Moment, created_at, moment


class Staff(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True)
    password_hash: str
    # Fernet token of the TOTP secret under a key derived from the server key.
    totp_secret_enc: str
    # The last TOTP time step accepted: a code for this step or an earlier one is a replay.
    last_totp_step: int | None = None
    role: str = Role.editor
    failed_attempts: int = 0
    locked_until: Moment = moment()
    disabled_at: Moment = moment()
    created_at: datetime = created_at()
    last_login_at: Moment = moment()
    password_changed_at: Moment = moment()


class RecoveryCode(SQLModel, table=True):
    """A single-use code that stands in for a TOTP code when the phone is lost."""

    __tablename__ = "recovery_code"  # type: ignore[assignment]

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(unique=True)
    used_at: Moment = moment()
    created_at: datetime = created_at()
