"""visit week rollup: visits per village, calendar week and secretary

Filled from the day rollup (whose days are already local days), a batch at a time; the counts
are added, so a week split across batches still sums right.

Revision ID: 20261201_0006
Revises: 20261201_0005
Create Date: 2026-12-01 23:47:32.672092
"""

import datetime as dt
from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

from api.clock import monday_of
from api.oversight.rollups import add_week_counts

BATCH = 20_000

revision: str = "20261201_0006"
down_revision: str | None = "20261201_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_week",
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_visit_week_user_id_app_user")),
        sa.ForeignKeyConstraint(["village_code"], ["region.code"], name=op.f("fk_visit_week_village_code_region")),
        sa.PrimaryKeyConstraint("village_code", "week", "user_id", name=op.f("pk_visit_week")),
    )
    session = Session(bind=op.get_bind())
    visit_day = sa.table(
        "visit_day", sa.column("village_code"), sa.column("day", sa.Date()), sa.column("user_id"), sa.column("visits")
    )
    for part in session.execute(sa.select(visit_day)).yield_per(BATCH).partitions():
        counts: Counter[tuple[str, dt.date, int]] = Counter()
        for r in part:
            counts[(r.village_code, monday_of(r.day), r.user_id)] += r.visits
        add_week_counts(session, counts)


def downgrade() -> None:
    op.drop_table("visit_week")
