"""villager requests: who last changed a request's status (``updated_by``)

Requests changed before this revision keep no handler: who moved them on was never recorded.

Revision ID: 20261204_0013
Revises: 20261204_0012
Create Date: 2026-12-04 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_0013"
down_revision: str | None = "20261204_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Changed in place (ALTER TABLE), never by copying the table, as 20261204_0011 explains. SQLite
# cannot add a constraint to a table, but accepts the reference declared with the new column
# (its default is null), so there the column is added in SQLite's own words.


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE villager_request ADD COLUMN updated_by INTEGER REFERENCES app_user (id)")
        return
    with op.batch_alter_table("villager_request", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("updated_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_villager_request_updated_by_app_user"), "app_user", ["updated_by"], ["id"])


def downgrade() -> None:
    # After 20261204_0014 copied the table, the reference is a table constraint that SQLite's
    # DROP COLUMN refuses: the table (which nothing references) is copied without the column.
    with op.batch_alter_table("villager_request", schema=None) as batch_op:
        batch_op.drop_column("updated_by")
