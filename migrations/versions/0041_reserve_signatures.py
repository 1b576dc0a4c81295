"""the supervisors' own signatures on a land sale's reserve opening record

Revision ID: 0041
Revises: 0033
Create Date: 2026-12-06 17:00:00

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0041'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('auction_reserve_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('record_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dissent', sa.Text(), nullable=True),
    sa.Column('statement', sa.Text(), nullable=True),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=True),
    sa.Column('key_fingerprint', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_auction_reserve_signatures_trade_id_trades')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_auction_reserve_signatures_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_reserve_signatures')),
    sa.UniqueConstraint('trade_id', 'user_id', name='uq_auction_reserve_signatures_user')
    )
    with op.batch_alter_table('auction_reserve_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auction_reserve_signatures_trade_id'), ['trade_id'], unique=False)


def downgrade():
    with op.batch_alter_table('auction_reserve_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auction_reserve_signatures_trade_id'))

    op.drop_table('auction_reserve_signatures')
