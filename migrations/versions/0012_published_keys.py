"""published signing keys: the public key of each signing purpose (receipts, audit checkpoints)

Revision ID: 0012
Revises: 0008
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('published_keys',
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('alg', sa.String(length=16), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('published_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('purpose', name=op.f('pk_published_keys'))
    )


def downgrade():
    op.drop_table('published_keys')
