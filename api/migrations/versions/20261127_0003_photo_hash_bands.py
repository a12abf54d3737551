"""photo hash bands: near-duplicate search without scanning every photo

Revision ID: 20261127_0003
Revises: 20261127_0002
Create Date: 2026-11-27 01:35:30.268193
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '20261127_0003'
down_revision: str | None = '20261127_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('photo_hash_band',
    sa.Column('photo_id', sa.String(length=36), nullable=False),
    sa.Column('band', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=12), nullable=True),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_photo_hash_band_photo_id_photo')),
    sa.PrimaryKeyConstraint('photo_id', 'band', name=op.f('pk_photo_hash_band'))
    )
    with op.batch_alter_table('photo_hash_band', schema=None) as batch_op:
        batch_op.create_index('ix_photo_hash_band_county_code_band_value', ['county_code', 'band', 'value'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('photo_hash_band', schema=None) as batch_op:
        batch_op.drop_index('ix_photo_hash_band_county_code_band_value')

    op.drop_table('photo_hash_band')
