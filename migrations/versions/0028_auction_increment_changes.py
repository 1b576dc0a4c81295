"""auction increment changes: the increment changed during a listing, with its reason (bidding/auctions)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 05:10:00

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('auction_increment_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('old_increment', trading.types.Money(), nullable=False),
    sa.Column('new_increment', trading.types.Money(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_auction_increment_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_auction_increment_changes_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_increment_changes'))
    )
    with op.batch_alter_table('auction_increment_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auction_increment_changes_trade_id'), ['trade_id'], unique=False)


def downgrade():
    with op.batch_alter_table('auction_increment_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auction_increment_changes_trade_id'))
    op.drop_table('auction_increment_changes')
