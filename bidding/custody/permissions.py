"""Who may read the kept bid documents, and on what ground (docs/bid-custody.md):

- a sitting member of the trade's evaluation committee, while it sits (`committee`);
- the tenderer's members once the trade is awarded (`tenderer`);
- an administrative supervisor assigned to an open complaint on the trade (`complaint`).

Nobody else: not the centre staff, the deciders, other supervisors, the bidders (not even their own
bid's: they keep their own copy), experts off the committee, or the public."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.custody.models import ComplaintReview
from bidding.evaluation.permissions import sitting_member
from trading.accounts.roles import Role
from trading.extensions import db
from trading.permissions import permission
from trading.trades.flows import TradeState
from trading.trades.models import TradeTransition
from trading.trades.permissions import is_tenderer_member

#: stages a trade may be in after an award (archived counts only if the trade was awarded)
AFTER_AWARD = (TradeState.AWARDED, TradeState.CONTRACTED, TradeState.ARCHIVED)


def _authed(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def was_awarded(trade) -> bool:
    if trade.state not in AFTER_AWARD:
        return False
    return db.session.scalar(sa.select(TradeTransition.id).where(
        TradeTransition.trade_id == trade.id, TradeTransition.move == "award").limit(1)) is not None


def on_complaint(user, trade) -> bool:
    if not _authed(user) or trade.centre_id not in user.centres_for(Role.ADMIN_SUPERVISOR):
        return False
    return db.session.scalar(sa.select(ComplaintReview.id).where(
        ComplaintReview.trade_id == trade.id, ComplaintReview.supervisor_id == user.id,
        ComplaintReview.closed_at.is_(None)).limit(1)) is not None


def read_basis(user, trade) -> str | None:
    """The ground on which `user` may read the trade's kept bid documents now, or None."""
    if not _authed(user):
        return None
    if sitting_member(user, trade):
        return "committee"
    if is_tenderer_member(user, trade) and was_awarded(trade):
        return "tenderer"
    if on_complaint(user, trade):
        return "complaint"
    return None


@permission("custody.read")
def _read(user, trade) -> bool:
    """List and read the opened bids' documents (each read audited)."""
    return read_basis(user, trade) is not None


@permission("custody.assign_complaint")
def _assign(user, trade) -> bool:
    """The supervising department's administrative supervisors assign a complaint's reviewers."""
    return _authed(user) and trade.centre_id in user.centres_for(Role.ADMIN_SUPERVISOR)
