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
    # a plain ADD/DROP COLUMN: a batch copy of draw_rounds would break its contributions' foreign keys on SQLite
    op.add_column('draw_rounds', sa.Column('salt', sa.String(length=64), nullable=True))


def downgrade():
    op.drop_column('draw_rounds', 'salt')
