"""procurement challenges: questions, challenges and complaints on procurement trades

Revision ID: 0036
Revises: 0033
Create Date: 2026-12-06 17:00:00

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('procurement_filings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=48), nullable=False),
    sa.Column('kind', sa.Enum('QUESTION', 'CHALLENGE', 'COMPLAINT', name='filingkind', native_enum=False, length=16), nullable=False),
    sa.Column('about', sa.Enum('DOCUMENTS', 'PROCESS', 'RESULT', name='about', native_enum=False, length=16), nullable=True),
    sa.Column('step', sa.String(length=32), nullable=True),
    sa.Column('challenge_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('filed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('knew_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('window_ends', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer_due', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Enum('UPHELD', 'DISMISSED', name='outcome', native_enum=False, length=16), nullable=True),
    sa.Column('answered_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('suspended_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('suspension_lifted_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_procurement_filings_answered_by_id_users')),
    sa.ForeignKeyConstraint(['challenge_id'], ['procurement_filings.id'], name=op.f('fk_procurement_filings_challenge_id_procurement_filings')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_procurement_filings_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_procurement_filings_trade_id_trades')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_procurement_filings_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procurement_filings')),
    sa.UniqueConstraint('challenge_id', name=op.f('uq_procurement_filings_challenge_id')),
    sa.UniqueConstraint('trade_id', 'ref', name='uq_procurement_filings_ref')
    )
    with op.batch_alter_table('procurement_filings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procurement_filings_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_procurement_filings_trade_id'), ['trade_id'], unique=False)


def downgrade():
    with op.batch_alter_table('procurement_filings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procurement_filings_trade_id'))
        batch_op.drop_index(batch_op.f('ix_procurement_filings_organisation_id'))

    op.drop_table('procurement_filings')
