"""supervisors' own signing keys, and the statement, signature and key of each signed act

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0013'
branch_labels = None
depends_on = None

SIGNED = ('record_signatures', 'supervisor_signoffs', 'audit_countersignatures')


def upgrade():
    op.create_table('signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('alg', sa.String(length=24), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_from', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signing_keys_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_signing_keys_fingerprint'))
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_keys_user_id'), ['user_id'], unique=False)
    # plain ADD COLUMN (no table rebuild): audit_countersignatures keeps its append-only triggers
    for table in SIGNED:
        op.add_column(table, sa.Column('statement', sa.Text(), nullable=True))
        op.add_column(table, sa.Column('signature', sa.LargeBinary(length=64), nullable=True))
        op.add_column(table, sa.Column('key_fingerprint', sa.String(length=64), nullable=True))


def downgrade():
    for table in SIGNED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('key_fingerprint')
            batch_op.drop_column('signature')
            batch_op.drop_column('statement')
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signing_keys_user_id'))
    op.drop_table('signing_keys')
