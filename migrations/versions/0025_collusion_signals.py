"""collusion signals: what each upload saw, document metadata, screenings, flags and the committee's decisions;
the paying account of a deposit

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from trading.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'bid_sightings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bid_id', sa.Integer(), nullable=False),
        sa.Column('trade_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=512), nullable=True),
        sa.Column('device_id', sa.String(length=64), nullable=True),
        sa.Column('seen_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['bid_id'], ['bids.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id']),
        sa.ForeignKeyConstraint(['trade_id'], ['trades.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('bid_id'))
    with op.batch_alter_table('bid_sightings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_sightings_trade_id'), ['trade_id'], unique=False)
    op.create_table(
        'bid_document_metadata',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('trade_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('author', sa.String(length=256), nullable=True),
        sa.Column('last_modified_by', sa.String(length=256), nullable=True),
        sa.Column('creator_tool', sa.String(length=256), nullable=True),
        sa.Column('created', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['document_id'], ['kept_documents.id']),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id']),
        sa.ForeignKeyConstraint(['trade_id'], ['trades.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('document_id'))
    with op.batch_alter_table('bid_document_metadata', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_document_metadata_trade_id'), ['trade_id'], unique=False)
    op.create_table(
        'collusion_screenings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('trade_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('bids', sa.Integer(), nullable=False),
        sa.Column('flags', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id']),
        sa.ForeignKeyConstraint(['trade_id'], ['trades.id']),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('collusion_screenings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collusion_screenings_trade_id'), ['trade_id'], unique=False)
    op.create_table(
        'collusion_flags',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('trade_id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=32), nullable=False),
        sa.Column('clause', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('organisation_ids', sa.JSON(), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('first_seen_at', UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(), nullable=False),
        sa.Column('current', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['trade_id'], ['trades.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('trade_id', 'key', name='uq_collusion_flags_key'))
    with op.batch_alter_table('collusion_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collusion_flags_trade_id'), ['trade_id'], unique=False)
    op.create_table(
        'collusion_flag_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('flag_id', sa.Integer(), nullable=False),
        sa.Column('trade_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.Enum('DISMISSED', 'REFERRED', 'USED_IN_REVIEW', name='flagdecision',
                                      native_enum=False, length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['flag_id'], ['collusion_flags.id']),
        sa.ForeignKeyConstraint(['trade_id'], ['trades.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('collusion_flag_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collusion_flag_reviews_flag_id'), ['flag_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collusion_flag_reviews_trade_id'), ['trade_id'], unique=False)
    with op.batch_alter_table('bid_deposits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payer_account', sa.String(length=64), nullable=True))


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds a table to drop a column; foreign keys are off meanwhile (outside a transaction)."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def downgrade():
    _foreign_keys(False)
    with op.batch_alter_table('bid_deposits', schema=None) as batch_op:
        batch_op.drop_column('payer_account')
    _foreign_keys(True)
    for table in ('collusion_flag_reviews', 'collusion_flags', 'collusion_screenings', 'bid_document_metadata',
                  'bid_sightings'):
        op.drop_table(table)
