"""texts the platform writes are kept as message ids and parameters, rendered in the reader's language

Notices, notifications, and the reasons the platform gives (a failed opening, a timed-out ceremony)
gain a JSON `message` beside their text. Rows written before keep NULL there and show their stored
text as before (trading.texts.render falls back to it), so nothing is rewritten.

Revision ID: 0018
Revises: 0021
Create Date: 2026-12-05 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0021'
branch_labels = None
depends_on = None

COLUMNS = (('notices', 'message'), ('notifications', 'message'), ('trade_transitions', 'reason_message'),
           ('opening_ceremonies', 'reason_message'), ('ceremony_exits', 'reason_message'))


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds a table to drop a column; rows of other tables point at these (ceremony exits at
    their ceremony), so foreign keys are off meanwhile (a pragma that only works outside a transaction)."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.JSON(), nullable=True))


def downgrade():
    _foreign_keys(False)
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
    _foreign_keys(True)
