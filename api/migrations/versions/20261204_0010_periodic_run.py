"""periodic run: when each piece of periodic work last began, so several instances run it once

Revision ID: 20261204_0010
Revises: 20261204_0009
Create Date: 2026-12-04 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = "20261204_0010"
down_revision: str | None = "20261204_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_run",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_started_at", api.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_run")),
    )


def downgrade() -> None:
    op.drop_table("periodic_run")
