"""answering: a draft and a start time on invitations, a pause with an end on participants

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.timeutil

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("started_at", store.timeutil.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paused_until", store.timeutil.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("started_at")
        batch_op.drop_column("draft")
