"""foundation: regions, households, people, assignments, tokens

Revision ID: 20261127_0001
Revises: 
Create Date: 2026-11-27 00:06:36.012449
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '20261127_0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('display_name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('scope_code', sa.String(length=12), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("(role = 'admin') = (scope_code IS NULL)", name=op.f('ck_app_user_scope_by_role')),
    sa.CheckConstraint("role IN ('admin', 'county', 'town', 'secretary', 'inspector')", name=op.f('ck_app_user_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_scope_code'), ['scope_code'], unique=False)

    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('client_addr', sa.String(length=64), nullable=False),
    sa.Column('at', api.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_client_addr_at', ['client_addr', 'at'], unique=False)
        batch_op.create_index('ix_login_failure_username_at', ['username', 'at'], unique=False)

    op.create_table('region',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('radius_m', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=True),
    sa.Column('weak_lax', sa.Boolean(), nullable=False),
    sa.Column('weak_lax_reasons', sa.JSON(), nullable=False),
    sa.Column('rectification_status', sa.String(length=12), nullable=False),
    sa.Column('plan', sa.Text(), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', api.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IS NULL OR kind IN ('village', 'community')", name=op.f('ck_region_kind')),
    sa.CheckConstraint("level IN ('county', 'town', 'village')", name=op.f('ck_region_level')),
    sa.CheckConstraint("rectification_status IN ('none', 'rectifying', 'accepted')", name=op.f('ck_region_rectification')),
    sa.ForeignKeyConstraint(['parent_code'], ['region.code'], name=op.f('fk_region_parent_code_region')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_region'))
    )
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_region_parent_code'), ['parent_code'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scope_code', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', api.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', api.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_api_token_created_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_created_by'), ['created_by'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('position', sa.String(length=20), nullable=False),
    sa.Column('dispatch_unit', sa.String(length=100), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("position IN ('first_secretary', 'team_member')", name=op.f('ck_assignment_position')),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_assignment_dates')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_assignment_user_id_app_user')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_assignment_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_user_id_village_code', ['user_id', 'village_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_village_code'), ['village_code'], unique=False)

    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('household_no', sa.String(length=40), nullable=True),
    sa.Column('head_name', sa.String(length=50), nullable=False),
    sa.Column('group_name', sa.String(length=50), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('last_visit_at', api.db.UTCDateTime(), nullable=True),
    sa.Column('visit_count', sa.Integer(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', api.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_household_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household')),
    sa.UniqueConstraint('village_code', 'household_no', name=op.f('uq_household_village_code_household_no'))
    )
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index('ix_household_village_code_last_visit_at', ['village_code', 'last_visit_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_village_code_last_visit_at')

    op.drop_table('household')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_village_code'))
        batch_op.drop_index('ix_assignment_user_id_village_code')

    op.drop_table('assignment')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_created_by'))

    op.drop_table('api_token')
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_parent_code'))

    op.drop_table('region')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_username_at')
        batch_op.drop_index('ix_login_failure_client_addr_at')

    op.drop_table('login_failure')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_scope_code'))

    op.drop_table('app_user')
