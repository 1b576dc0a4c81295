"""direct procurement: single-source supplier, objections, negotiation record and signatures; a candidate without
a sealed bid (a single source's supplier at its negotiated price)

Revision ID: 0038
Revises: 0033
Create Date: 2026-12-06 17:00:00

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0041'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('single_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('named_by_id', sa.Integer(), nullable=False),
    sa.Column('named_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('stopped_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['named_by_id'], ['users.id'], name=op.f('fk_single_sources_named_by_id_users')),
    sa.ForeignKeyConstraint(['supplier_id'], ['organisations.id'], name=op.f('fk_single_sources_supplier_id_organisations')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_single_sources_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_single_sources')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_single_sources_trade_id'))
    )
    op.create_table('single_source_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('filed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer_due', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('upheld', sa.Boolean(), nullable=True),
    sa.Column('answered_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_single_source_objections_answered_by_id_users')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_single_source_objections_filed_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_single_source_objections_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_single_source_objections_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_single_source_objections'))
    )
    with op.batch_alter_table('single_source_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_single_source_objections_trade_id'), ['trade_id'], unique=False)

    op.create_table('negotiation_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('price', trading.types.Money(), nullable=False),
    sa.Column('negotiated_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('cost_basis', sa.Text(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_negotiation_records_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_negotiation_records_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_negotiation_records')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_negotiation_records_trade_id'))
    )
    op.create_table('negotiation_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('agrees', sa.Boolean(), nullable=False),
    sa.Column('dissent', sa.Text(), nullable=True),
    sa.Column('signed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['negotiation_records.id'], name=op.f('fk_negotiation_signatures_record_id_negotiation_records')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_negotiation_signatures_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_negotiation_signatures')),
    sa.UniqueConstraint('record_id', 'user_id', name='uq_negotiation_signatures_member')
    )
    with op.batch_alter_table('negotiation_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_negotiation_signatures_record_id'), ['record_id'], unique=False)

    with op.batch_alter_table('award_candidates', schema=None) as batch_op:
        batch_op.alter_column('bid_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('entry_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('award_candidates', schema=None) as batch_op:
        batch_op.alter_column('entry_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('bid_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('negotiation_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_negotiation_signatures_record_id'))
    op.drop_table('negotiation_signatures')
    op.drop_table('negotiation_records')
    with op.batch_alter_table('single_source_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_single_source_objections_trade_id'))
    op.drop_table('single_source_objections')
    op.drop_table('single_sources')
