"""village_summary: each village's overview figures as the periodic count last found them

Empty at first: the summary counts missing villages live until the periodic run fills it.

Revision ID: 20261204_0015
Revises: 20261204_0014
Create Date: 2026-12-04 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = "20261204_0015"
down_revision: str | None = "20261204_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "village_summary",
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("as_of", api.db.UTCDateTime(), nullable=False),
        sa.Column("posted", sa.Boolean(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("households_visited", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("home_visits", sa.Integer(), nullable=False),
        sa.Column("open_flags", sa.Integer(), nullable=False),
        sa.Column("open_requests", sa.Integer(), nullable=False),
        sa.Column("cue", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_code"], ["region.code"], name=op.f("fk_village_summary_village_code_region")
        ),
        sa.PrimaryKeyConstraint("village_code", name=op.f("pk_village_summary")),
    )


def downgrade() -> None:
    op.drop_table("village_summary")
