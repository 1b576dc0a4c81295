"""Who seats the evaluation committee and who records the evaluation's failures; who sits on it."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.evaluation.models import CommitteeSeat
from trading.extensions import db
from trading.permissions import permission
from trading.trades.flows import TradeState
from trading.trades.permissions import is_staff_at

#: the stages in which the committee sits (reviews, clarifies, scores)
SITTING = (TradeState.EVALUATING,)


def seat_of(user, trade) -> CommitteeSeat | None:
    """The user's current seat on the trade's committee (None when they never sat or left)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(sa.select(CommitteeSeat).where(
        CommitteeSeat.trade_id == trade.id, CommitteeSeat.user_id == user.id, CommitteeSeat.left_at.is_(None)))


def sitting_member(user, trade) -> bool:
    """A member of the trade's committee while it sits: seated, not stepped aside, trade in evaluation."""
    return trade.state in SITTING and seat_of(user, trade) is not None


@permission("evaluation.seat")
def _seat(user, trade) -> bool:
    """The executing staff organise the evaluation: they seat the members the draw gives them."""
    return is_staff_at(user, trade.centre_id)


@permission("evaluation.fail")
def _fail(user, trade) -> bool:
    """Recording that every bid was rejected is the executing staff's move, on the committee's finding."""
    return is_staff_at(user, trade.centre_id)
