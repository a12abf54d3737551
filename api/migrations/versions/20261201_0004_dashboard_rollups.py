"""dashboard rollups: per-day visit counts, presence days and nights, each village's latest visit

The tables are filled from the visits and check-ins already stored, with the same code that
keeps them up to date as records arrive.

Revision ID: 20261201_0004
Revises: 20261127_0003
Create Date: 2026-12-01 21:56:20.418364
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sqlmodel import Session

import api.db
from api.oversight.rollups import StoredCheckin, StoredVisit, add_checkins, add_visit_days
from api.settings import get_settings

BATCH = 5_000

revision: str = "20261201_0004"
down_revision: str | None = "20261127_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presence_day",
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("night", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_presence_day_user_id_app_user")),
        sa.ForeignKeyConstraint(["village_code"], ["region.code"], name=op.f("fk_presence_day_village_code_region")),
        sa.PrimaryKeyConstraint("village_code", "day", "user_id", "night", name=op.f("pk_presence_day")),
    )
    op.create_table(
        "village_activity",
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("last_visit_at", api.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["village_code"], ["region.code"], name=op.f("fk_village_activity_village_code_region")
        ),
        sa.PrimaryKeyConstraint("village_code", name=op.f("pk_village_activity")),
    )
    op.create_table(
        "visit_day",
        sa.Column("village_code", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("home_visits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_visit_day_user_id_app_user")),
        sa.ForeignKeyConstraint(["village_code"], ["region.code"], name=op.f("fk_visit_day_village_code_region")),
        sa.PrimaryKeyConstraint("village_code", "day", "user_id", name=op.f("pk_visit_day")),
    )
    _backfill()


def _backfill() -> None:
    """Count the records stored before the rollups existed, a batch at a time."""
    tz = get_settings().tz
    session = Session(bind=op.get_bind())
    visit = sa.table(
        "visit",
        sa.column("village_code"),
        sa.column("user_id"),
        sa.column("started_at", api.db.UTCDateTime()),
        sa.column("kind"),
    )
    rows = session.execute(sa.select(visit)).yield_per(BATCH).partitions()
    for part in rows:
        add_visit_days(
            session, [StoredVisit(r.village_code, r.user_id, r.started_at, r.kind == "home_visit") for r in part], tz=tz
        )
    checkin = sa.table(
        "checkin",
        sa.column("village_code"),
        sa.column("user_id"),
        sa.column("at", api.db.UTCDateTime()),
        sa.column("checks", sa.JSON()),
    )
    for part in session.execute(sa.select(checkin)).yield_per(BATCH).partitions():
        add_checkins(
            session,
            (StoredCheckin(r.village_code, r.user_id, r.at, on_site="off_site" not in (r.checks or [])) for r in part),
            tz=tz,
        )


def downgrade() -> None:
    op.drop_table("visit_day")
    op.drop_table("village_activity")
    op.drop_table("presence_day")
