"""What e-supervision asks about a single source (monitor/cards/esupervision.py reads these): each objection to
its notice with the purchaser's answer, due within five working days of the notice period's end (O74 Art. 40)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from procurement.direct.models import SingleSource, SingleSourceObjection
from trading.extensions import db
from trading.rules.norms import Item
from trading.trades.models import Trade


def _objections(trade: Trade) -> list[SingleSourceObjection]:
    return list(db.session.scalars(sa.select(SingleSourceObjection).where(SingleSourceObjection.trade_id == trade.id)
                                   .order_by(SingleSourceObjection.id)))


def _stopped_at(trade: Trade) -> datetime | None:
    return db.session.scalar(sa.select(SingleSource.stopped_at).where(SingleSource.trade_id == trade.id))


def items(trade: Trade, name: str) -> list[Item]:
    """gp_single_source_objections: each objection, counted from the notice period's end (the answer comes after
    it, O74 Art. 40), closed by its answer; an upheld objection stops the single source and closes the others
    (they can no longer be answered)."""
    if name != "gp_single_source_objections" or trade.bid_deadline is None:
        return []
    stopped = _stopped_at(trade)
    return [Item(f"gp_single_source_objection:{o.id}", trade.bid_deadline, o.answered_at or stopped)
            for o in _objections(trade)]


def times(trade: Trade, name: str) -> list[datetime]:
    """When the facts named happened: the notice period's end once someone objected, and each answer."""
    rows = _objections(trade)
    if name == "gp_single_source_notice_end":
        return [trade.bid_deadline] if rows and trade.bid_deadline is not None else []
    if name == "gp_single_source_objection_answer":
        return [o.answered_at for o in rows if o.answered_at is not None]
    return []
