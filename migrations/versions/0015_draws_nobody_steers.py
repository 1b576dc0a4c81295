"""draws nobody can steer: rounds fixed before their seed, contributions committed and revealed, the order

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds supervisor_draws to change its columns' nullability: drawn_supervisors rows point at
    it, so its foreign keys are off meanwhile (a pragma that only takes effect outside a transaction)."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    _foreign_keys(False)
    with op.batch_alter_table('supervisor_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False, server_default='drawn'))
        batch_op.add_column(sa.Column('fixed_entry_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('commit_until', trading.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reveal_until', trading.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sealed_entry_seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('order', sa.JSON(), nullable=True))
        batch_op.alter_column('checkpoint_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('checkpoint_size', existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column('checkpoint_root', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('seed', existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column('entry_seq', existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table('supervisor_draws', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), server_default=None)
    _foreign_keys(True)

    with op.batch_alter_table('drawn_supervisors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('entry_seq', sa.Integer(), nullable=True))

    op.create_table('supervisor_draw_contributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('committed_seq', sa.Integer(), nullable=False),
    sa.Column('committed_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reveal', sa.String(length=64), nullable=True),
    sa.Column('revealed_seq', sa.Integer(), nullable=True),
    sa.Column('revealed_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['draw_id'], ['supervisor_draws.id'], name=op.f('fk_supervisor_draw_contributions_draw_id_supervisor_draws')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_supervisor_draw_contributions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervisor_draw_contributions')),
    sa.UniqueConstraint('draw_id', 'user_id', name='uq_supervisor_draw_contributions_once')
    )
    with op.batch_alter_table('supervisor_draw_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervisor_draw_contributions_draw_id'), ['draw_id'], unique=False)


def downgrade():
    with op.batch_alter_table('supervisor_draw_contributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervisor_draw_contributions_draw_id'))
    op.drop_table('supervisor_draw_contributions')
    with op.batch_alter_table('drawn_supervisors', schema=None) as batch_op:
        batch_op.drop_column('entry_seq')
        batch_op.drop_column('position')
    _foreign_keys(False)
    with op.batch_alter_table('supervisor_draws', schema=None) as batch_op:
        batch_op.drop_column('order')
        batch_op.drop_column('sealed_entry_seq')
        batch_op.drop_column('reveal_until')
        batch_op.drop_column('commit_until')
        batch_op.drop_column('fixed_entry_seq')
        batch_op.drop_column('status')
    _foreign_keys(True)
