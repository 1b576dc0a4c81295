"""procurement results: SME terms and declarations, the purchaser's award decision, the acceptance; the award may
be made by the platform (award_decisions.decided_by_id nullable)

Revision ID: 0037
Revises: 0033
Create Date: 2026-12-06 17:30:00

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gp_sme_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('deduction', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('reserved', sa.Boolean(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.Column('set_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_gp_sme_policies_set_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_gp_sme_policies_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gp_sme_policies')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_gp_sme_policies_trade_id'))
    )
    op.create_table('gp_sme_declarations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.String(length=8), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('employees', sa.Integer(), nullable=False),
    sa.Column('revenue', trading.types.Money(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('declared_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('declared_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['declared_by_id'], ['users.id'], name=op.f('fk_gp_sme_declarations_declared_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_gp_sme_declarations_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_gp_sme_declarations_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gp_sme_declarations')),
    sa.UniqueConstraint('trade_id', 'organisation_id', name='uq_gp_sme_declarations_org')
    )
    with op.batch_alter_table('gp_sme_declarations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gp_sme_declarations_trade_id'), ['trade_id'], unique=False)
    op.create_table('gp_purchaser_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('by_platform', sa.Boolean(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['award_decisions.id'], name=op.f('fk_gp_purchaser_decisions_award_id_award_decisions')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_gp_purchaser_decisions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_gp_purchaser_decisions_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gp_purchaser_decisions')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_gp_purchaser_decisions_trade_id'))
    )
    op.create_table('gp_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('delivered_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivery_note', sa.Text(), nullable=False),
    sa.Column('delivery_recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('accepted_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('report', sa.Text(), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_gp_acceptances_accepted_by_id_users')),
    sa.ForeignKeyConstraint(['delivery_recorded_by_id'], ['users.id'], name=op.f('fk_gp_acceptances_delivery_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_gp_acceptances_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gp_acceptances')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_gp_acceptances_trade_id'))
    )
    with op.batch_alter_table('award_decisions', schema=None) as batch_op:
        batch_op.alter_column('decided_by_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('award_decisions', schema=None) as batch_op:
        batch_op.alter_column('decided_by_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('gp_acceptances')
    op.drop_table('gp_purchaser_decisions')
    with op.batch_alter_table('gp_sme_declarations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gp_sme_declarations_trade_id'))
    op.drop_table('gp_sme_declarations')
    op.drop_table('gp_sme_policies')
