"""expert pool and draw: experts, sanctions, absences, committee plans, seats; draw rounds of any purpose

Revision ID: 0022
Revises: 0015
Create Date: 2026-12-05 12:26:44.101949

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('experts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('employer', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('specialties', sa.JSON(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_experts_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_experts_registered_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_experts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experts')),
    sa.UniqueConstraint('user_id', name=op.f('uq_experts_user_id'))
    )
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experts_region'), ['region'], unique=False)

    op.create_table('draw_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('fixed_entry_seq', sa.BigInteger(), nullable=False),
    sa.Column('commit_until', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reveal_until', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sealed_entry_seq', sa.BigInteger(), nullable=True),
    sa.Column('checkpoint_id', sa.Integer(), nullable=True),
    sa.Column('checkpoint_size', sa.BigInteger(), nullable=True),
    sa.Column('checkpoint_root', sa.String(length=64), nullable=True),
    sa.Column('seed', sa.String(length=64), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('order', sa.JSON(), nullable=True),
    sa.Column('selected', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entry_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_draw_rounds_actor_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_draw_rounds_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_rounds')),
    sa.UniqueConstraint('purpose', 'trade_id', 'round', name='uq_draw_rounds_round')
    )
    with op.batch_alter_table('draw_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_rounds_trade_id'), ['trade_id'], unique=False)

    op.create_table('expert_absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_expert_absences_expert_id_experts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_absences'))
    )
    with op.batch_alter_table('expert_absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_absences_expert_id'), ['expert_id'], unique=False)

    op.create_table('expert_committee_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('representatives', sa.Integer(), nullable=False),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=True),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_expert_committee_plans_set_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_expert_committee_plans_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_committee_plans')),
    sa.UniqueConstraint('trade_id', name=op.f('uq_expert_committee_plans_trade_id'))
    )
    op.create_table('expert_sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('WARNING', 'SUSPENSION', 'DISQUALIFICATION', name='sanctionkind', native_enum=False, length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_expert_sanctions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_expert_sanctions_expert_id_experts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_sanctions'))
    )
    with op.batch_alter_table('expert_sanctions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_sanctions_expert_id'), ['expert_id'], unique=False)

    op.create_table('draw_round_contributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('committed_seq', sa.BigInteger(), nullable=False),
    sa.Column('committed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reveal', sa.String(length=64), nullable=True),
    sa.Column('revealed_seq', sa.BigInteger(), nullable=True),
    sa.Column('revealed_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['draw_rounds.id'], name=op.f('fk_draw_round_contributions_round_id_draw_rounds')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_draw_round_contributions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_round_contributions')),
    sa.UniqueConstraint('round_id', 'user_id', name='uq_draw_round_contributions_once')
    )
    with op.batch_alter_table('draw_round_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_round_contributions_round_id'), ['round_id'], unique=False)

    op.create_table('expert_seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('specialty', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Enum('NOTIFIED', 'CONFIRMED', 'DECLINED', 'RECUSED', 'INELIGIBLE', name='seatstatus', native_enum=False, length=16), nullable=False),
    sa.Column('entry_seq', sa.BigInteger(), nullable=False),
    sa.Column('drawn_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('recusal_entry_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_expert_seats_expert_id_experts')),
    sa.ForeignKeyConstraint(['round_id'], ['draw_rounds.id'], name=op.f('fk_expert_seats_round_id_draw_rounds')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_expert_seats_trade_id_trades')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_expert_seats_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_seats')),
    sa.UniqueConstraint('round_id', 'position', name='uq_expert_seats_position')
    )
    with op.batch_alter_table('expert_seats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_seats_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_seats_trade_id'), ['trade_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_seats_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('expert_seats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_seats_user_id'))
        batch_op.drop_index(batch_op.f('ix_expert_seats_trade_id'))
        batch_op.drop_index(batch_op.f('ix_expert_seats_expert_id'))

    op.drop_table('expert_seats')
    with op.batch_alter_table('draw_round_contributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_round_contributions_round_id'))

    op.drop_table('draw_round_contributions')
    with op.batch_alter_table('expert_sanctions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_sanctions_expert_id'))

    op.drop_table('expert_sanctions')
    op.drop_table('expert_committee_plans')
    with op.batch_alter_table('expert_absences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_absences_expert_id'))

    op.drop_table('expert_absences')
    with op.batch_alter_table('draw_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_rounds_trade_id'))

    op.drop_table('draw_rounds')
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experts_region'))

    op.drop_table('experts')
