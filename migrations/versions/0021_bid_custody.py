"""bid custody: kept bid documents, their reads, complaint reviewers, committee seats, re-tender link

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

UTC = trading.types.UTCDateTime(timezone=True)


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds trades to add the re-tender link: every table pointing at trades would stop the
    rebuild, so foreign keys are off meanwhile (a pragma that only takes effect outside a transaction)."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.get_context().autocommit_block():
            op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    op.create_table('committee_seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('EXPERT', 'TENDERER_REP', name='seatkind', native_enum=False, length=16),
              nullable=False),
    sa.Column('seated_at', UTC, nullable=False),
    sa.Column('seated_by_id', sa.Integer(), nullable=True),
    sa.Column('left_at', UTC, nullable=True),
    sa.Column('left_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['seated_by_id'], ['users.id'], name=op.f('fk_committee_seats_seated_by_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_committee_seats_trade_id_trades')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_committee_seats_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committee_seats')),
    sa.UniqueConstraint('trade_id', 'user_id', name='uq_committee_seats_member')
    )
    with op.batch_alter_table('committee_seats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_seats_trade_id'), ['trade_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_committee_seats_user_id'), ['user_id'], unique=False)

    op.create_table('kept_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=1024), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('blob_sha256', sa.String(length=64), nullable=False),
    sa.Column('blob_size', sa.BigInteger(), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('kept_at', UTC, nullable=False),
    sa.Column('retain_until', UTC, nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bids.id'], name=op.f('fk_kept_documents_bid_id_bids')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_kept_documents_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_kept_documents_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kept_documents')),
    sa.UniqueConstraint('bid_id', 'name', name='uq_kept_documents_name')
    )
    with op.batch_alter_table('kept_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kept_documents_bid_id'), ['bid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kept_documents_trade_id'), ['trade_id'], unique=False)

    op.create_table('complaint_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=False),
    sa.Column('complaint_ref', sa.String(length=200), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', UTC, nullable=False),
    sa.Column('closed_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'],
                            name=op.f('fk_complaint_reviews_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['users.id'], name=op.f('fk_complaint_reviews_supervisor_id_users')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_complaint_reviews_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_reviews'))
    )
    with op.batch_alter_table('complaint_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_reviews_supervisor_id'), ['supervisor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_reviews_trade_id'), ['trade_id'], unique=False)

    op.create_table('custody_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['kept_documents.id'],
                            name=op.f('fk_custody_reads_document_id_kept_documents')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_custody_reads_trade_id_trades')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_custody_reads_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_reads'))
    )
    with op.batch_alter_table('custody_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custody_reads_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_custody_reads_trade_id'), ['trade_id'], unique=False)

    _foreign_keys(False)
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retender_of_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_trades_retender_of_id'), ['retender_of_id'])
        batch_op.create_foreign_key(batch_op.f('fk_trades_retender_of_id_trades'), 'trades', ['retender_of_id'],
                                    ['id'])
    _foreign_keys(True)


def downgrade():
    _foreign_keys(False)
    with op.batch_alter_table('trades', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_trades_retender_of_id_trades'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_trades_retender_of_id'), type_='unique')
        batch_op.drop_column('retender_of_id')
    _foreign_keys(True)
    for table, indexes in (('custody_reads', ('document_id', 'trade_id')),
                           ('complaint_reviews', ('supervisor_id', 'trade_id')),
                           ('kept_documents', ('bid_id', 'trade_id')),
                           ('committee_seats', ('trade_id', 'user_id'))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in indexes:
                batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
        op.drop_table(table)
