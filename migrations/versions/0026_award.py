"""award: published candidates, objections, complaints, the award with its letters and report, the contract

Tables of bidding/award (Reg 54-61; Law 45-47). New notice kinds (candidates, complaint, contract) need
no change: notices.kind is a non-native enum (a plain string column).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 01:41:47.512169

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('award_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('AWARD', 'RESULT', name='letterkind', native_enum=False, length=16), nullable=False),
    sa.Column('issued_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_read_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_award_letters_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_award_letters_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_letters')),
    sa.UniqueConstraint('trade_id', 'organisation_id', name='uq_award_letters_org')
    )
    with op.batch_alter_table('award_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_letters_trade_id'), ['trade_id'], unique=False)

    op.create_table('award_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reported_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_award_reports_reported_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_award_reports_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_reports')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_award_reports_trade_id'))
    )
    op.create_table('award_candidate_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('published_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('publicity_ends', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_award_candidate_lists_notice_id_notices')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_award_candidate_lists_published_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_award_candidate_lists_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_candidate_lists'))
    )
    with op.batch_alter_table('award_candidate_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_candidate_lists_trade_id'), ['trade_id'], unique=False)

    op.create_table('award_complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('about', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('knew_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('FILED', 'ACCEPTED', 'REFUSED', 'RULED', name='complaintstate', native_enum=False, length=16), nullable=False),
    sa.Column('acceptance_due', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('refusal', sa.Text(), nullable=True),
    sa.Column('ruling_due', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ruled_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ruled_by_id', sa.Integer(), nullable=True),
    sa.Column('upheld', sa.Boolean(), nullable=True),
    sa.Column('ruling', sa.Text(), nullable=True),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_award_complaints_decided_by_id_users')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_award_complaints_notice_id_notices')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_award_complaints_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['review_id'], ['complaint_reviews.id'], name=op.f('fk_award_complaints_review_id_complaint_reviews')),
    sa.ForeignKeyConstraint(['ruled_by_id'], ['users.id'], name=op.f('fk_award_complaints_ruled_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_award_complaints_trade_id_trades')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_award_complaints_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_complaints')),
    sa.UniqueConstraint('ref', name=op.f('uq_award_complaints_ref'))
    )
    with op.batch_alter_table('award_complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_complaints_trade_id'), ['trade_id'], unique=False)

    op.create_table('award_contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('amount', trading.types.Money(), nullable=False),
    sa.Column('performance_bond', trading.types.Money(), nullable=False),
    sa.Column('signed_on', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_award_contracts_notice_id_notices')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_award_contracts_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_award_contracts_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_award_contracts_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_contracts')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_award_contracts_trade_id'))
    )
    op.create_table('award_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('price', trading.types.Money(), nullable=False),
    sa.Column('evaluated_price', trading.types.Money(), nullable=True),
    sa.Column('total', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_award_candidates_bid_id_bids')),
    sa.ForeignKeyConstraint(['entry_id'], ['opening_entries.id'], name=op.f('fk_award_candidates_entry_id_opening_entries')),
    sa.ForeignKeyConstraint(['list_id'], ['award_candidate_lists.id'], name=op.f('fk_award_candidates_list_id_award_candidate_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_award_candidates_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_award_candidates_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_candidates')),
    sa.UniqueConstraint('list_id', 'rank', name='uq_award_candidates_rank')
    )
    with op.batch_alter_table('award_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_candidates_list_id'), ['list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_candidates_trade_id'), ['trade_id'], unique=False)

    op.create_table('award_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('standing', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('raised_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer_due', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('upheld', sa.Boolean(), nullable=True),
    sa.Column('answered_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_award_objections_answered_by_id_users')),
    sa.ForeignKeyConstraint(['list_id'], ['award_candidate_lists.id'], name=op.f('fk_award_objections_list_id_award_candidate_lists')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_award_objections_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_award_objections_trade_id_trades')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_award_objections_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_objections'))
    )
    with op.batch_alter_table('award_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_objections_trade_id'), ['trade_id'], unique=False)

    op.create_table('award_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('price', trading.types.Money(), nullable=False),
    sa.Column('decided_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['award_candidates.id'], name=op.f('fk_award_decisions_candidate_id_award_candidates')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_award_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['list_id'], ['award_candidate_lists.id'], name=op.f('fk_award_decisions_list_id_award_candidate_lists')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_award_decisions_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_award_decisions_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_decisions')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_award_decisions_trade_id'))
    )
    op.create_table('award_disqualifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('GAVE_UP', 'FAILED_TO_PERFORM', 'BOND_NOT_PAID', 'VIOLATION', name='disqualifyreason', native_enum=False, length=24), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_award_disqualifications_by_id_users')),
    sa.ForeignKeyConstraint(['candidate_id'], ['award_candidates.id'], name=op.f('fk_award_disqualifications_candidate_id_award_candidates')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_award_disqualifications_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_disqualifications')),
    sa.UniqueConstraint('candidate_id', name='uq_award_disqualifications_candidate')
    )
    with op.batch_alter_table('award_disqualifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_disqualifications_trade_id'), ['trade_id'], unique=False)



def downgrade():
    with op.batch_alter_table('award_disqualifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_disqualifications_trade_id'))

    op.drop_table('award_disqualifications')
    op.drop_table('award_decisions')
    with op.batch_alter_table('award_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_objections_trade_id'))

    op.drop_table('award_objections')
    with op.batch_alter_table('award_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_candidates_trade_id'))
        batch_op.drop_index(batch_op.f('ix_award_candidates_list_id'))

    op.drop_table('award_candidates')
    op.drop_table('award_contracts')
    with op.batch_alter_table('award_complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_complaints_trade_id'))

    op.drop_table('award_complaints')
    with op.batch_alter_table('award_candidate_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_candidate_lists_trade_id'))

    op.drop_table('award_candidate_lists')
    op.drop_table('award_reports')
    with op.batch_alter_table('award_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_letters_trade_id'))

    op.drop_table('award_letters')
