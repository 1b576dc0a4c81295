"""numbering counters (seeded from the numbers already given out); download fingerprints; e-mail subscriptions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:00:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa

import trading.types


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

REF = re.compile(r"^(?P<prefix>.+)-(?P<year>\d{4})-(?P<seq>\d+)$")


def _seed(conn) -> None:
    """Counters start above every number already given out, compared as numbers (not as strings)."""
    top: dict[tuple[str, int], int] = {}

    def keep(scope: str, period: int, value: int) -> None:
        top[(scope, period)] = max(top.get((scope, period), 0), value)

    for (ref,) in conn.execute(sa.text("SELECT ref FROM trades")):
        m = REF.match(ref or "")
        if m:
            keep(f"trade-ref:{m['prefix']}", int(m['year']), int(m['seq']))
    for (cert,) in conn.execute(sa.text("SELECT certificate_no FROM social_supervisors")):
        m = REF.match(cert or "")
        if m and m['prefix'].startswith("SS-"):
            keep(f"supervisor-certificate:{m['prefix'][3:]}", int(m['year']), int(m['seq']))
    for trade_id, number in conn.execute(sa.text("SELECT trade_id, MAX(number) FROM clarifications GROUP BY trade_id")):
        keep(f"clarification:{trade_id}", 0, int(number))
    if top:
        counters = sa.table("counters", sa.column("scope", sa.String), sa.column("period", sa.Integer),
                            sa.column("value", sa.BigInteger))
        op.bulk_insert(counters, [{"scope": s, "period": p, "value": v} for (s, p), v in sorted(top.items())])


def upgrade():
    op.create_table('counters',
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('period', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'period', name=op.f('pk_counters'))
    )
    _seed(op.get_bind())
    with op.batch_alter_table('downloads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_downloads_document_fingerprint', ['document_id', 'fingerprint'], unique=False)
    op.create_table('email_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trade_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('download_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', trading.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', trading.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['download_id'], ['downloads.id'], name=op.f('fk_email_subscriptions_download_id_downloads')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_email_subscriptions_trade_id_trades')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_subscriptions')),
    sa.UniqueConstraint('trade_id', 'email', name='uq_email_subscriptions_trade_email')
    )
    with op.batch_alter_table('email_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_subscriptions_trade_id'), ['trade_id'], unique=False)
    # addresses left before confirmation existed were never confirmed: they are kept on their
    # download rows for the staff's list, but receive nothing until they ask again and confirm


def downgrade():
    with op.batch_alter_table('email_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_subscriptions_trade_id'))
    op.drop_table('email_subscriptions')
    with op.batch_alter_table('downloads', schema=None) as batch_op:
        batch_op.drop_index('ix_downloads_document_fingerprint')
        batch_op.drop_column('fingerprint')
    op.drop_table('counters')
