"""client-made personal keys: origin, the wrapped key optional, share commitments and the fingerprint
each share was sealed to; platform-made personal keys no longer count as enrolled (their holders re-enrol)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


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
    # every existing key was made where the platform saw the passphrase: origin PLATFORM (above), which
    # no longer counts as enrolled for new trades (services.active_personal_key); shares already sealed
    # to such a key stay openable with the offline tool (docs/key-custody.md). No row is rewritten here:
    # the audit log sees every change to this table.


def downgrade():
    # plain ALTER TABLE ... DROP COLUMN (no table rebuild: personal_keys is referenced by sealed_shares);
    # protected_key stays nullable
    op.drop_column('sealed_shares', 'holder_fingerprint')
    op.drop_column('sealed_shares', 'commitment')
    op.drop_column('personal_keys', 'origin')
