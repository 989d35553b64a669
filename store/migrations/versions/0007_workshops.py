"""workshops: an event's sessions, its volunteers and draws; invites with a session, a waiting
list and attendance; attachments on messages (calendar entries); batches of an event

An event's time and capacity move to its first session.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 11:54:12
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.timeutil

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("strata", sa.JSON(), nullable=True),
        sa.Column("favour", sa.Boolean(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pool", sa.JSON(), nullable=True),
        sa.Column("chosen", sa.JSON(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", store.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff.id"],
            name=op.f("fk_event_draw_created_by_staff"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_draw_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_draw")),
    )
    with op.batch_alter_table("event_draw", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_draw_event_id"), ["event_id"], unique=False)

    op.create_table(
        "event_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("starts_at", store.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", store.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", store.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_session_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_session")),
    )
    with op.batch_alter_table("event_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_session_event_id"), ["event_id"], unique=False)

    op.create_table(
        "event_volunteer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("link_salt", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("asked_at", store.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("volunteered_at", store.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("declined_at", store.timeutil.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", store.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_volunteer_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_event_volunteer_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_volunteer")),
        sa.UniqueConstraint(
            "event_id", "participant_id", name=op.f("uq_event_volunteer_event_id_participant_id")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_event_volunteer_token_hash")),
    )
    with op.batch_alter_table("event_volunteer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_volunteer_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_event_volunteer_participant_id"), ["participant_id"], unique=False
        )

    op.execute(
        "INSERT INTO event_session (event_id, label, starts_at, ends_at, capacity, location,"
        " sequence, created_at) SELECT id, '', starts_at, COALESCE(ends_at, starts_at), capacity,"
        " '', 0, created_at FROM event WHERE starts_at IS NOT NULL"
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("created_by_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.drop_column("starts_at")
        batch_op.drop_column("capacity")
        batch_op.drop_column("ends_at")

    with op.batch_alter_table("event_invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draw_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("link_salt", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("waitlisted_at", store.timeutil.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("attended", sa.Boolean(), nullable=True))
        batch_op.create_index(
            "ix_event_invite_session_state", ["session_id", "state"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_event_invite_session_id_event_session"),
            "event_session",
            ["session_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_event_invite_draw_id_event_draw"),
            "event_draw",
            ["draw_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachments", sa.JSON(), nullable=True))

    with op.batch_alter_table("send_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_send_batch_event_id_event"),
            "event",
            ["event_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("send_batch", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_send_batch_event_id_event"), type_="foreignkey")
        batch_op.drop_column("event_id")

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("attachments")

    with op.batch_alter_table("event_invite", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_event_invite_draw_id_event_draw"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_event_invite_session_id_event_session"), type_="foreignkey"
        )
        batch_op.drop_index("ix_event_invite_session_state")
        batch_op.drop_column("attended")
        batch_op.drop_column("waitlisted_at")
        batch_op.drop_column("session_id")
        batch_op.drop_column("link_salt")
        batch_op.drop_column("draw_id")

    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ends_at", store.timeutil.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("starts_at", store.timeutil.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column("created_by_name")

    with op.batch_alter_table("event_volunteer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_volunteer_participant_id"))
        batch_op.drop_index(batch_op.f("ix_event_volunteer_event_id"))

    op.drop_table("event_volunteer")
    with op.batch_alter_table("event_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_session_event_id"))

    op.drop_table("event_session")
    with op.batch_alter_table("event_draw", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_draw_event_id"))

    op.drop_table("event_draw")
