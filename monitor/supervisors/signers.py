"""Tells bidding's opening ceremony who the trade's drawn supervisors are: a record signature counts
only from one drawn for the trade who has not stepped aside (bidding cannot read the draws itself)."""
from __future__ import annotations

import sqlalchemy as sa

from monitor.supervisors.models import DrawnSupervisor
from trading.extensions import db
from trading.trades.models import Trade


def is_serving(trade: Trade, user_id: int) -> bool:
    """Drawn for `trade` and not recused."""
    return db.session.scalar(sa.select(DrawnSupervisor.id).where(
        DrawnSupervisor.trade_id == trade.id, DrawnSupervisor.user_id == user_id,
        DrawnSupervisor.recused_at.is_(None)).limit(1)) is not None


def install() -> None:
    """Fill bidding's hook (idempotent); the app factory calls this."""
    from bidding.ceremony.state import add_drawn_supervisor_check

    add_drawn_supervisor_check(is_serving)
