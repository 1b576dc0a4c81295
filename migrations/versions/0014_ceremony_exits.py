"""ceremony exits: restart, fail, postpone and time-out of a stalled opening

Revision ID: 0014
Revises: 0017
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ceremony_exits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ceremony_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('RESTART', 'FAIL', 'POSTPONE', 'TIMEOUT', name='exitkind', native_enum=False,
                              length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('shares_erased', sa.Integer(), nullable=False),
    sa.Column('old_opening_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('new_opening_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_ceremony_exits_actor_id_users')),
    sa.ForeignKeyConstraint(['ceremony_id'], ['opening_ceremonies.id'],
                            name=op.f('fk_ceremony_exits_ceremony_id_opening_ceremonies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ceremony_exits'))
    )
    with op.batch_alter_table('ceremony_exits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ceremony_exits_ceremony_id'), ['ceremony_id'], unique=False)
    with op.batch_alter_table('opening_ceremonies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timed_out_at', trading.types.UTCDateTime(timezone=True), nullable=True))


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds opening_ceremonies to drop a column: once ceremonies have rows pointing at them (the demo
    opens one), its foreign keys must be off meanwhile (a pragma that only takes effect outside a transaction)."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def downgrade():
    _foreign_keys(False)
    with op.batch_alter_table('opening_ceremonies', schema=None) as batch_op:
        batch_op.drop_column('timed_out_at')
    _foreign_keys(True)
    with op.batch_alter_table('ceremony_exits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ceremony_exits_ceremony_id'))
    op.drop_table('ceremony_exits')
