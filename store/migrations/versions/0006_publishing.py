"""publishing: what was learned from a survey and when its results were published; quotes;
responses indexed by survey and time of submission (answers a day from the index alone)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.timeutil

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.add_column(sa.Column("learned", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "results_published_at", store.timeutil.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_response_survey_id"))
        batch_op.create_index("ix_response_survey_day", ["survey_id", "submitted_at"], unique=False)
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quoted", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index("ix_response_survey_day")
        batch_op.create_index(batch_op.f("ix_response_survey_id"), ["survey_id"], unique=False)
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("quoted")
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.drop_column("results_published_at")
        batch_op.drop_column("learned")
