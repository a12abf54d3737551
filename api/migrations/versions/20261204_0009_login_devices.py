"""login failures: the trusted device they came from, and whether the password is still being checked

Failures from a device the account has logged in from before count against that device only,
and an attempt still being checked no longer counts against its address.

Revision ID: 20261204_0009
Revises: 20261202_0008
Create Date: 2026-12-04 04:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_0009"
down_revision: str | None = "20261202_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index("ix_login_failure_device_at", ["device", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_device_at")
        batch_op.drop_column("pending")
        batch_op.drop_column("device")
