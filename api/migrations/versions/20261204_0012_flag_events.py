"""flag events: the append-only trail of each flag (raised, acknowledged, dismissed, resolved)

Flags stored before this revision get no back-filled events: who handled them, and when, was
never recorded, so their trail begins with their next change.

Revision ID: 20261204_0012
Revises: 20261204_0011
Create Date: 2026-12-04 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = "20261204_0012"
down_revision: str | None = "20261204_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flag_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("at", api.db.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=12), nullable=True),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "to_status IN ('open', 'acknowledged', 'dismissed', 'resolved')", name=op.f("ck_flag_event_to_status")
        ),
        sa.ForeignKeyConstraint(["flag_id"], ["flag.id"], name=op.f("fk_flag_event_flag_id_flag")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_flag_event_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_event")),
    )
    with op.batch_alter_table("flag_event", schema=None) as batch_op:
        batch_op.create_index("ix_flag_event_flag_id_id", ["flag_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flag_event", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_event_flag_id_id")

    op.drop_table("flag_event")
