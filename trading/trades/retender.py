"""Re-tendering a failed trade in one step (Law 28, Reg 44: too few bids; Law 42: every bid rejected):
a new draft with the same centre, method, tenderer, title, description, prices and tender documents,
linked both ways to the failed trade; it then goes through approval and publication like any other."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from trading.clock import now
from trading.errors import IllegalMove
from trading.extensions import db
from trading.notices.models import Document
from trading.permissions import permission, require
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.trades.permissions import is_staff_at, is_tenderer_member
from trading.trades.services import create_trade

SUFFIX = "（重新招标）"


@permission("trade.retender")
def _retender(user, trade) -> bool:
    """Those who may bring the trade to market again: its centre's staff or its tenderer."""
    return trade.state is TradeState.FAILED and (is_staff_at(user, trade.centre_id) or is_tenderer_member(user, trade))


def retender(actor, failed: Trade) -> Trade:
    """Make the re-tender of a failed trade: a draft copy (new reference, new timeline to be set, the
    tender documents carried over), linked to the failed one. A trade is re-tendered once; two at the
    same moment: the second is refused (409)."""
    require("trade.retender", failed, user=actor)
    if failed.state is not TradeState.FAILED:
        raise IllegalMove(_("Only a failed trade can be tendered again."), code="not_failed")
    if db.session.scalar(sa.select(Trade.id).where(Trade.retender_of_id == failed.id)) is not None:
        raise IllegalMove(_("This trade has already been tendered again."), code="already_retendered")
    title = failed.title if failed.title.endswith(SUFFIX) else (failed.title[:200 - len(SUFFIX)] + SUFFIX)
    trade = create_trade(actor, {
        "centre_id": failed.centre_id, "method": failed.method, "tenderer_id": failed.tenderer_id,
        "title": title, "description": failed.description, "estimated_price": failed.estimated_price,
        "bid_security": failed.bid_security, "sandbox": failed.sandbox, "accelerator": failed.accelerator,
    })
    trade.retender_of_id = failed.id
    trade.history[0].reason = f"重新招标：原项目 {failed.ref} 流标"
    failed.updated_at = now()  # bumps the failed trade's version: a concurrent re-tender loses (409)
    for doc in db.session.scalars(sa.select(Document).where(Document.trade_id == failed.id,
                                                            Document.withdrawn.is_(False)).order_by(Document.id)):
        db.session.add(Document(trade=trade, filename=doc.filename, content_type=doc.content_type, size=doc.size,
                                sha256=doc.sha256, uploaded_by_id=actor.id, uploaded_at=now()))
    db.session.flush()
    return trade
