"""numbering counters (seeded from the numbers already given out)

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


def downgrade():
    op.drop_table('counters')
