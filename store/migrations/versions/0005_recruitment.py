"""recruitment: the channels residents hear of the panel through, each with its sign-up link;
invitations lose an index by survey that their unique (survey, participant) index makes redundant;
answers are indexed for results (by question, option, value and response; by question and
response) instead of by question alone

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.timeutil

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recruitment_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_by_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", store.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recruitment_channel")),
        sa.UniqueConstraint("code", name=op.f("uq_recruitment_channel_code")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_survey_id"))
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_question_id"))
        batch_op.create_index(
            "ix_answer_results",
            ["question_id", "option_id", "number_value", "response_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_answer_respondents", ["question_id", "response_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_respondents")
        batch_op.drop_index("ix_answer_results")
        batch_op.create_index(batch_op.f("ix_answer_question_id"), ["question_id"], unique=False)
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_survey_id"), ["survey_id"], unique=False)
    op.drop_table("recruitment_channel")
