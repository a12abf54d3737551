"""field records

Revision ID: 20261127_0002
Revises: 20261127_0001
Create Date: 2026-11-27 01:12:33.198848
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db

revision: str = '20261127_0002'
down_revision: str | None = '20261127_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('subject_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('raised_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_at', api.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'dismissed', 'resolved')", name=op.f('ck_flag_status')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_flag_user_id_app_user')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_flag_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_flag_dedupe_key'))
    )
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.create_index('ix_flag_user_id', ['user_id'], unique=False)
        batch_op.create_index('ix_flag_village_code_status', ['village_code', 'status'], unique=False)

    op.create_table('photo',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=12), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('dhash', sa.BigInteger(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('taken_at', api.db.UTCDateTime(), nullable=True),
    sa.Column('exif_lat', sa.Float(), nullable=True),
    sa.Column('exif_lon', sa.Float(), nullable=True),
    sa.Column('near_duplicates', sa.JSON(), nullable=False),
    sa.Column('display_key', sa.String(length=200), nullable=False),
    sa.Column('thumb_key', sa.String(length=200), nullable=False),
    sa.Column('received_at', api.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_photo_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo'))
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index('ix_photo_county_code_dhash', ['county_code', 'dhash'], unique=False)
        batch_op.create_index('ix_photo_sha256', ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_user_id'), ['user_id'], unique=False)

    op.create_table('checkin',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('at', api.db.UTCDateTime(), nullable=False),
    sa.Column('received_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('photo_id', sa.String(length=36), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_checkin_photo_id_photo')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_checkin_user_id_app_user')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_checkin_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin'))
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_user_id_at', ['user_id', 'at'], unique=False)
        batch_op.create_index('ix_checkin_village_code_at', ['village_code', 'at'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('started_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('received_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('signature_photo_id', sa.String(length=36), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind <> 'home_visit' OR household_id IS NOT NULL", name=op.f('ck_visit_home_visit_household')),
    sa.CheckConstraint("kind IN ('home_visit', 'group_talk', 'meeting', 'service', 'log')", name=op.f('ck_visit_kind')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_visit_household_id_household')),
    sa.ForeignKeyConstraint(['signature_photo_id'], ['photo.id'], name=op.f('fk_visit_signature_photo_id_photo')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_visit_user_id_app_user')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_visit_village_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_household_id_started_at', ['household_id', 'started_at'], unique=False)
        batch_op.create_index('ix_visit_user_id_started_at', ['user_id', 'started_at'], unique=False)
        batch_op.create_index('ix_visit_village_code_started_at', ['village_code', 'started_at'], unique=False)

    op.create_table('villager_request',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('visit_id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', api.db.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', api.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'resolved')", name=op.f('ck_villager_request_status')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_villager_request_household_id_household')),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], name=op.f('fk_villager_request_village_code_region')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_villager_request_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villager_request'))
    )
    with op.batch_alter_table('villager_request', schema=None) as batch_op:
        batch_op.create_index('ix_villager_request_village_code_status', ['village_code', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_villager_request_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_photo',
    sa.Column('visit_id', sa.String(length=36), nullable=False),
    sa.Column('photo_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_visit_photo_photo_id_photo')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_photo_visit_id_visit')),
    sa.PrimaryKeyConstraint('visit_id', 'photo_id', name=op.f('pk_visit_photo'))
    )
    with op.batch_alter_table('visit_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_photo_photo_id'), ['photo_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('visit_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_photo_photo_id'))

    op.drop_table('visit_photo')
    with op.batch_alter_table('villager_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_villager_request_visit_id'))
        batch_op.drop_index('ix_villager_request_village_code_status')

    op.drop_table('villager_request')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_village_code_started_at')
        batch_op.drop_index('ix_visit_user_id_started_at')
        batch_op.drop_index('ix_visit_household_id_started_at')

    op.drop_table('visit')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_village_code_at')
        batch_op.drop_index('ix_checkin_user_id_at')

    op.drop_table('checkin')
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_user_id'))
        batch_op.drop_index('ix_photo_sha256')
        batch_op.drop_index('ix_photo_county_code_dhash')

    op.drop_table('photo')
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.drop_index('ix_flag_village_code_status')
        batch_op.drop_index('ix_flag_user_id')

    op.drop_table('flag')
