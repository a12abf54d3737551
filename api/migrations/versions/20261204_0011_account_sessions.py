"""accounts: a password that must be changed after a reset, and a session epoch to end other sessions

Revision ID: 20261204_0011
Revises: 20261204_0010
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_0011"
down_revision: str | None = "20261204_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Changed in place (ALTER TABLE; SQLite 3.35+ drops columns too), never by copying the table:
# other tables' foreign keys point at app_user, and SQLite refuses to drop a referenced table.


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("session_epoch")
        batch_op.drop_column("must_change_password")
