"""evaluation review and clarifications: review criteria from the tender documents, members' marks per
bid and criterion, the review's closure, and clarification questions to bidders with their answers

Revision ID: 0023
Revises: 0024
Create Date: 2026-12-06 01:29:01.795698

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_review_closures_closed_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_review_closures_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_closures')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_review_closures_trade_id'))
    )
    op.create_table('review_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('stage', sa.Enum('QUALIFICATION', 'COMPLIANCE', name='reviewstage', native_enum=False, length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('decision', sa.Enum('MAJORITY', 'UNANIMITY', name='decision', native_enum=False, length=16), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('added_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_review_criteria_added_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_review_criteria_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_criteria')),
    sa.UniqueConstraint('trade_id', 'code', name='uq_review_criteria_code')
    )
    with op.batch_alter_table('review_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_criteria_trade_id'), ['trade_id'], unique=False)

    op.create_table('bid_clarifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refused_by_id', sa.Integer(), nullable=True),
    sa.Column('refused_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refused_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_bid_clarifications_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_bid_clarifications_asked_by_id_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['opening_entries.id'], name=op.f('fk_bid_clarifications_entry_id_opening_entries')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_bid_clarifications_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['refused_by_id'], ['users.id'], name=op.f('fk_bid_clarifications_refused_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_bid_clarifications_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_clarifications'))
    )
    with op.batch_alter_table('bid_clarifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_clarifications_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_clarifications_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_clarifications_trade_id'), ['trade_id'], unique=False)

    op.create_table('review_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.String(length=16), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['opening_entries.id'], name=op.f('fk_review_marks_entry_id_opening_entries')),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_review_marks_member_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_review_marks_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_marks')),
    sa.UniqueConstraint('entry_id', 'criterion', 'member_id', name='uq_review_marks_cell')
    )
    with op.batch_alter_table('review_marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_marks_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_marks_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_marks_trade_id'), ['trade_id'], unique=False)



def downgrade():
    with op.batch_alter_table('review_marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_marks_trade_id'))
        batch_op.drop_index(batch_op.f('ix_review_marks_member_id'))
        batch_op.drop_index(batch_op.f('ix_review_marks_entry_id'))

    op.drop_table('review_marks')
    with op.batch_alter_table('bid_clarifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_clarifications_trade_id'))
        batch_op.drop_index(batch_op.f('ix_bid_clarifications_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_bid_clarifications_entry_id'))

    op.drop_table('bid_clarifications')
    with op.batch_alter_table('review_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_criteria_trade_id'))

    op.drop_table('review_criteria')
    op.drop_table('review_closures')
