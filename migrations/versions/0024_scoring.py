"""scoring plans, score sheets, price adjustments, evaluation reports

Revision ID: 0024
Revises: 0018
Each member scores alone on their own sheet; the report binds criteria, sheets, totals and ranking by
its SHA-256, which the members sign (trading/signing).

Create Date: 2026-12-06 01:28:47.669671

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('made_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('made_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['made_by_id'], ['users.id'], name=op.f('fk_evaluation_reports_made_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_evaluation_reports_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_reports')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_evaluation_reports_trade_id'))
    )
    op.create_table('score_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_score_sheets_trade_id_trades')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_score_sheets_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_sheets')),
    sa.UniqueConstraint('trade_id', 'user_id', name='uq_score_sheets_member')
    )
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_sheets_trade_id'), ['trade_id'], unique=False)

    op.create_table('scoring_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('price_weight', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_scoring_plans_set_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_scoring_plans_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_plans')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_scoring_plans_trade_id'))
    )
    op.create_table('report_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('report_sha256', sa.String(length=64), nullable=False),
    sa.Column('signed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dissent', sa.Text(), nullable=True),
    sa.Column('statement', sa.Text(), nullable=True),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=True),
    sa.Column('key_fingerprint', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['evaluation_reports.id'], name=op.f('fk_report_signatures_report_id_evaluation_reports')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_report_signatures_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_signatures')),
    sa.UniqueConstraint('report_id', 'user_id', name='uq_report_signatures_user')
    )
    with op.batch_alter_table('report_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_signatures_report_id'), ['report_id'], unique=False)

    op.create_table('scoring_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['scoring_plans.id'], name=op.f('fk_scoring_criteria_plan_id_scoring_plans')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_scoring_criteria_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_criteria'))
    )
    with op.batch_alter_table('scoring_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_criteria_plan_id'), ['plan_id'], unique=False)

    op.create_table('price_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('amount', trading.types.Money(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['opening_entries.id'], name=op.f('fk_price_adjustments_entry_id_opening_entries')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_price_adjustments_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_price_adjustments_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_adjustments'))
    )
    with op.batch_alter_table('price_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_adjustments_trade_id'), ['trade_id'], unique=False)

    op.create_table('sheet_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['criterion_id'], ['scoring_criteria.id'], name=op.f('fk_sheet_scores_criterion_id_scoring_criteria')),
    sa.ForeignKeyConstraint(['entry_id'], ['opening_entries.id'], name=op.f('fk_sheet_scores_entry_id_opening_entries')),
    sa.ForeignKeyConstraint(['sheet_id'], ['score_sheets.id'], name=op.f('fk_sheet_scores_sheet_id_score_sheets')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_sheet_scores_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sheet_scores')),
    sa.UniqueConstraint('sheet_id', 'entry_id', 'criterion_id', name='uq_sheet_scores_cell')
    )
    with op.batch_alter_table('sheet_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sheet_scores_sheet_id'), ['sheet_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sheet_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sheet_scores_sheet_id'))

    op.drop_table('sheet_scores')
    with op.batch_alter_table('price_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_adjustments_trade_id'))

    op.drop_table('price_adjustments')
    with op.batch_alter_table('scoring_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoring_criteria_plan_id'))

    op.drop_table('scoring_criteria')
    with op.batch_alter_table('report_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_signatures_report_id'))

    op.drop_table('report_signatures')
    op.drop_table('scoring_plans')
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_sheets_trade_id'))

    op.drop_table('score_sheets')
    op.drop_table('evaluation_reports')
