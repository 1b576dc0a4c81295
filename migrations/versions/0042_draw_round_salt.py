"""draw rounds: an unnamed draw's secret (the invitee draw), committed to when fixed, published at the opening

Revision ID: 0042
Revises: 0035
Create Date: 2026-12-06 20:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0042'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('draw_rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('salt', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('draw_rounds', schema=None) as batch_op:
        batch_op.drop_column('salt')
