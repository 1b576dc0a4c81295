"""client-made personal keys: origin, the wrapped key optional, share commitments and the fingerprint
each share was sealed to; every platform-made personal key is retired (its holder re-enrols)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 08:00:00.000000

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('personal_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.Enum('CLIENT', 'PLATFORM', name='keyorigin', native_enum=False,
                                                        length=16), nullable=False, server_default='PLATFORM'))
        batch_op.alter_column('protected_key', existing_type=sa.LargeBinary(), nullable=True)
    with op.batch_alter_table('personal_keys', schema=None) as batch_op:
        batch_op.alter_column('origin', server_default=None)
    with op.batch_alter_table('sealed_shares', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commitment', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('holder_fingerprint', sa.String(length=64), nullable=True))
    # keys made where the platform saw the passphrase are no longer trusted for new trades; shares
    # already sealed to them stay openable with the offline tool (docs/key-custody.md)
    keys = sa.table('personal_keys', sa.column('retired_at', trading.types.UTCDateTime(timezone=True)))
    op.execute(keys.update().where(keys.c.retired_at.is_(None)).values(retired_at=datetime.now(timezone.utc)))


def downgrade():
    with op.batch_alter_table('sealed_shares', schema=None) as batch_op:
        batch_op.drop_column('holder_fingerprint')
        batch_op.drop_column('commitment')
    with op.batch_alter_table('personal_keys', schema=None) as batch_op:
        batch_op.drop_column('origin')
