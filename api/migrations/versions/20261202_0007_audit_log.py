"""audit log: one row per answered read of personal data

Indexed for the admin's list, read newest first and narrowed by person, token or time.

Revision ID: 20261202_0007
Revises: 20261201_0006
Create Date: 2026-12-01 23:52:14.289270
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = "20261202_0007"
down_revision: str | None = "20261201_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", api.db.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("resource", sa.String(length=10), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.CheckConstraint("resource IN ('households', 'visits', 'photos')", name=op.f("ck_audit_entry_resource")),
        sa.CheckConstraint("(user_id IS NULL) <> (token_id IS NULL)", name=op.f("ck_audit_entry_one_principal")),
        sa.ForeignKeyConstraint(["token_id"], ["api_token.id"], name=op.f("fk_audit_entry_token_id_api_token")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_audit_entry_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_entry_token_id_id", ["token_id", "id"], unique=False)
        batch_op.create_index("ix_audit_entry_user_id_id", ["user_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_user_id_id")
        batch_op.drop_index("ix_audit_entry_token_id_id")
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))

    op.drop_table("audit_entry")
