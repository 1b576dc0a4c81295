"""A failed or cancelled procurement trade gives its budget draw back to the line (the line's `left` grows
back by the draw), once, in the transaction of the move that ended it."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from procurement.methods.models import BudgetRelease
from procurement.methods.signals import budget_released
from procurement.plans.models import BudgetLine
from procurement.plans.services import draw_of, is_procurement
from trading.clock import now
from trading.errors import IllegalMove
from trading.extensions import db
from trading.numerals import fmt_money
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.types import Money

ENDED = (TradeState.FAILED, TradeState.CANCELLED)


def release_of(trade: Trade) -> BudgetRelease | None:
    return db.session.scalar(sa.select(BudgetRelease).where(BudgetRelease.trade_id == trade.id))


def release(trade: Trade, move: str) -> BudgetRelease | None:
    """Give the trade's draw back to its line (None: it drew nothing, or gave it back already). The line's
    `drawn` falls by a conditional UPDATE, like the draw that raised it; when it matches no row (the line has
    drawn less than this draw: its books disagree) the move is refused (409) and nothing is recorded."""
    record = draw_of(trade)
    if record is None or release_of(trade) is not None:
        return None
    amount = sa.literal(record.amount, Money())
    done = db.session.execute(sa.update(BudgetLine).where(BudgetLine.id == record.line_id, BudgetLine.drawn >= amount)
                              .values(drawn=BudgetLine.drawn - amount).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise IllegalMove(_("The budget line \"%(line)s\" shows less drawn than this trade's draw of %(amount)s, so "
                            "the draw cannot be given back: the line's books disagree. Nothing was changed; ask the "
                            "centre to check the budget line.", line=record.line.description,
                            amount=fmt_money(record.amount)), code="budget_books_disagree")
    row = BudgetRelease(trade_id=trade.id, draw_id=record.id, line_id=record.line_id, amount=record.amount,
                        move=move, released_at=now())
    db.session.add(row)
    db.session.flush()
    db.session.refresh(record.line)
    budget_released.send(trade, release=row)
    return row


def on_trade_moved(trade: Trade, move: str | None = None, new_state=None, **_kw) -> None:
    if new_state in ENDED and is_procurement(trade):
        release(trade, move or "")


def install() -> None:
    from trading.signals import trade_moved

    trade_moved.connect(on_trade_moved)
