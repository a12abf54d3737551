"""inspections: the spot checks, their sampled households and the answers

Revision ID: 20261202_0008
Revises: 20261202_0007
Create Date: 2026-12-01 23:53:04.810022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '20261202_0008'
down_revision: str | None = '20261202_0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('sample_size', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('published_at', api.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("mode IN ('open', 'undercover')", name=op.f('ck_inspection_mode')),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_inspection_created_by_app_user')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_inspection_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection'))
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index('ix_inspection_village_code_id', ['village_code', 'id'], unique=False)

    op.create_table('inspection_answer',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('knows_secretary', sa.Boolean(), nullable=True),
    sa.Column('recalls_visit', sa.Boolean(), nullable=True),
    sa.Column('satisfied', sa.String(length=6), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('logged_visits_90d', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('answered_by', sa.Integer(), nullable=False),
    sa.Column('received_at', api.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("satisfied IS NULL OR satisfied IN ('yes', 'no', 'unsure')", name=op.f('ck_inspection_answer_satisfied')),
    sa.ForeignKeyConstraint(['answered_by'], ['app_user.id'], name=op.f('fk_inspection_answer_answered_by_app_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_inspection_answer_household_id_household')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_inspection_answer_inspection_id_inspection')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_answer')),
    sa.UniqueConstraint('inspection_id', 'household_id', name=op.f('uq_inspection_answer_inspection_id_household_id'))
    )
    op.create_table('inspection_household',
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('had_visits', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_inspection_household_household_id_household')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_inspection_household_inspection_id_inspection')),
    sa.PrimaryKeyConstraint('inspection_id', 'household_id', name=op.f('pk_inspection_household'))
    )


def downgrade() -> None:
    op.drop_table('inspection_household')
    op.drop_table('inspection_answer')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index('ix_inspection_village_code_id')

    op.drop_table('inspection')
