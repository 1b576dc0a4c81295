"""Who bid on a trade, as the separation-of-duties policy must know it: every company that sent a
sealed bid (any version, withdrawn ones too) or paid a bid-security deposit. Downloaders are
trading's own source (trading.notices); the app factory adds these beside it."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.deposits.models import BidDeposit
from bidding.submission.models import Bid
from trading.accounts import policy
from trading.extensions import db
from trading.trades.models import Trade


def bid_organisations(trade: Trade) -> set[int]:
    """Companies with a bid on the trade, whatever became of it: a withdrawn bidder still bid."""
    return set(db.session.scalars(sa.select(Bid.organisation_id).where(Bid.trade_id == trade.id).distinct()))


def deposit_organisations(trade: Trade) -> set[int]:
    """Companies that paid a deposit on the trade (a deposit is paid to bid)."""
    return set(db.session.scalars(sa.select(BidDeposit.organisation_id).where(BidDeposit.trade_id == trade.id)))


def install() -> None:
    """Add both sources to the policy (idempotent)."""
    for source in (bid_organisations, deposit_organisations):
        policy.add_bidder_source(source)
