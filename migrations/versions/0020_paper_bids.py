"""a tender may take its bids on paper only: no electronic bids, no keyholders (issue 9)

Revision ID: 0020
Revises: 0022
Create Date: 2026-12-05 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paper_bids', sa.Boolean(), nullable=False, server_default=sa.false()))


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds trades to drop a column: other tables point at it, so its foreign keys are off meanwhile
    (a pragma that only takes effect outside a transaction), as in 0015."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def downgrade():
    _foreign_keys(False)
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.drop_column('paper_bids')
    _foreign_keys(True)
