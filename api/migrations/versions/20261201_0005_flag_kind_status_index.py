"""flag kind status index: the inbox's filters and the time rules' look-up of earlier flags

Revision ID: 20261201_0005
Revises: 20261201_0004
Create Date: 2026-12-01 22:18:13.309645
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261201_0005"
down_revision: str | None = "20261201_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.create_index("ix_flag_kind_status", ["kind", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_kind_status")
