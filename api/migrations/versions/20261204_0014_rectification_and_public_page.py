"""The rectification ledger, the public page's counts and limits, public messages as requests

Villagers' requests may now come from the public page (no visit, a receipt code, an optional
name and phone) and may be hidden; the table is copied on SQLite to let ``visit_id`` be null
(nothing references it). Accounts gain the work phone and portrait a secretary publishes.

Revision ID: 20261204_0014
Revises: 20261204_0013
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sqlmodel

import api.db

revision: str = "20261204_0014"
down_revision: str | None = "20261204_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_post")),
    )
    with op.batch_alter_table("public_post", schema=None) as batch_op:
        batch_op.create_index("ix_public_post_sender_at", ["sender", "at"], unique=False)
        batch_op.create_index("ix_public_post_village_code_at", ["village_code", "at"], unique=False)

    op.create_table(
        "public_month",
        sa.Column("village_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["village_code"], ["region.code"], name=op.f("fk_public_month_village_code_region")),
        sa.PrimaryKeyConstraint("village_code", "month", name=op.f("pk_public_month")),
    )
    op.create_table(
        "rectification_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("found_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('disunity', 'weak_leader', 'weak_economy', 'poor_service', 'petitions', 'lax_organisation', 'other')",
            name=op.f("ck_rectification_problem_category"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_rectification_problem_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["region.code"], name=op.f("fk_rectification_problem_village_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_problem")),
    )
    with op.batch_alter_table("rectification_problem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_problem_village_code"), ["village_code"], unique=False)

    op.create_table(
        "rectification_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("responsible", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("returned_reason", sa.Text(), nullable=True),
        sa.Column("done_at", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", api.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "responsible IN ('first_secretary', 'town_team', 'dispatch_unit')",
            name=op.f("ck_rectification_measure_responsible"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'done', 'confirmed')", name=op.f("ck_rectification_measure_status")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["rectification_problem.id"],
            name=op.f("fk_rectification_measure_problem_id_rectification_problem"),
        ),
        sa.ForeignKeyConstraint(
            ["village_code"], ["region.code"], name=op.f("fk_rectification_measure_village_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_measure")),
    )
    with op.batch_alter_table("rectification_measure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_measure_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index("ix_rectification_measure_village_code_status", ["village_code", "status"], unique=False)

    op.create_table(
        "rectification_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('problem_added', 'problem_changed', 'measure_added', 'measure_changed', 'progress', 'reported_done', 'confirmed', 'returned', 'accepted', 'acceptance_returned')",
            name=op.f("ck_rectification_event_action"),
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["rectification_measure.id"],
            name=op.f("fk_rectification_event_measure_id_rectification_measure"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["rectification_problem.id"],
            name=op.f("fk_rectification_event_problem_id_rectification_problem"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_rectification_event_user_id_app_user")),
        sa.ForeignKeyConstraint(
            ["village_code"], ["region.code"], name=op.f("fk_rectification_event_village_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_event")),
    )
    with op.batch_alter_table("rectification_event", schema=None) as batch_op:
        batch_op.create_index("ix_rectification_event_village_code_id", ["village_code", "id"], unique=False)

    op.create_table(
        "rectification_progress",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("village_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo_ids", sa.JSON(), nullable=False),
        sa.Column("marks_done", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["rectification_measure.id"],
            name=op.f("fk_rectification_progress_measure_id_rectification_measure"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_rectification_progress_user_id_app_user")),
        sa.ForeignKeyConstraint(
            ["village_code"], ["region.code"], name=op.f("fk_rectification_progress_village_code_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_progress")),
    )
    with op.batch_alter_table("rectification_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_progress_measure_id"), ["measure_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rectification_progress_village_code"), ["village_code"], unique=False)

    # app_user is referenced by other tables: changed in place, as 20261204_0011 explains.
    with op.batch_alter_table("app_user", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("public_phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column("portrait_photo_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))

    with op.batch_alter_table("villager_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False, server_default="visit")
        )
        batch_op.add_column(sa.Column("receipt", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True))
        batch_op.add_column(sa.Column("sender_name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True))
        batch_op.add_column(sa.Column("sender_phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column("hidden_at", api.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hidden_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))
        batch_op.alter_column("visit_id", existing_type=sa.VARCHAR(length=36), nullable=True)
        batch_op.create_unique_constraint(batch_op.f("uq_villager_request_receipt"), ["receipt"])
        batch_op.create_foreign_key(
            batch_op.f("fk_villager_request_hidden_by_app_user"), "app_user", ["hidden_by"], ["id"]
        )
        batch_op.create_check_constraint(batch_op.f("ck_villager_request_source"), "source IN ('visit', 'public_page')")
        batch_op.create_check_constraint(
            batch_op.f("ck_villager_request_visit_source"), "(source = 'visit') = (visit_id IS NOT NULL)"
        )
    with op.batch_alter_table("villager_request", schema=None) as batch_op:
        batch_op.alter_column("source", server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM villager_request WHERE visit_id IS NULL")
    with op.batch_alter_table("villager_request", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_villager_request_visit_source"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_villager_request_source"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_villager_request_hidden_by_app_user"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_villager_request_receipt"), type_="unique")
        batch_op.alter_column("visit_id", existing_type=sa.VARCHAR(length=36), nullable=False)
        batch_op.drop_column("hidden_reason")
        batch_op.drop_column("hidden_by")
        batch_op.drop_column("hidden_at")
        batch_op.drop_column("sender_phone")
        batch_op.drop_column("sender_name")
        batch_op.drop_column("receipt")
        batch_op.drop_column("source")

    with op.batch_alter_table("app_user", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("portrait_photo_id")
        batch_op.drop_column("public_phone")

    with op.batch_alter_table("rectification_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_progress_village_code"))
        batch_op.drop_index(batch_op.f("ix_rectification_progress_measure_id"))

    op.drop_table("rectification_progress")
    with op.batch_alter_table("rectification_event", schema=None) as batch_op:
        batch_op.drop_index("ix_rectification_event_village_code_id")

    op.drop_table("rectification_event")
    with op.batch_alter_table("rectification_measure", schema=None) as batch_op:
        batch_op.drop_index("ix_rectification_measure_village_code_status")
        batch_op.drop_index(batch_op.f("ix_rectification_measure_problem_id"))

    op.drop_table("rectification_measure")
    with op.batch_alter_table("rectification_problem", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_problem_village_code"))

    op.drop_table("rectification_problem")
    op.drop_table("public_month")
    with op.batch_alter_table("public_post", schema=None) as batch_op:
        batch_op.drop_index("ix_public_post_village_code_at")
        batch_op.drop_index("ix_public_post_sender_at")

    op.drop_table("public_post")
