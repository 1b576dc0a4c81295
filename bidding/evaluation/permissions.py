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


def confirmed_expert(user, trade) -> bool:
    """An expert the draw (bidding.experts) named for the trade who confirmed and has not stepped aside."""
    from bidding.experts.models import ExpertSeat, SeatStatus

    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(sa.select(ExpertSeat.id).where(
        ExpertSeat.trade_id == trade.id, ExpertSeat.user_id == user.id,
        ExpertSeat.status == SeatStatus.CONFIRMED).limit(1)) is not None


def sitting_member(user, trade) -> bool:
    """A member of the trade's committee while it sits, trade in evaluation: seated here and not stepped
    aside, or drawn by the expert draw and confirmed (a notified expert who has not confirmed is not)."""
    return trade.state in SITTING and (seat_of(user, trade) is not None or confirmed_expert(user, trade))


@permission("evaluation.seat")
def _seat(user, trade) -> bool:
    """The executing staff organise the evaluation: they seat the members the draw gives them."""
    return is_staff_at(user, trade.centre_id)


@permission("evaluation.fail")
def _fail(user, trade) -> bool:
    """Recording that every bid was rejected is the executing staff's move, on the committee's finding."""
    return is_staff_at(user, trade.centre_id)
