"""The demo's collusion ring: in the opened works tender, two of the four companies (宏达建设 and 远东路桥)
uploaded from one network address with one sealer device and paid their deposits from one account, so a
newcomer finds flags on the trade's collusion page (log in as `supervisor`). Called by trading.demo.load_demo.

The demo's bids are sealed and submitted by the loader, not through a browser, so what their uploads
"saw" is planted here as the listeners would have recorded it; then the screens run as they run on demand."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from bidding.collusion import services, sightings
from bidding.collusion.models import BidSighting
from bidding.deposits import services as deposits
from bidding.deposits.models import BidDeposit
from bidding.submission.models import Bid, BidState
from trading.accounts.models import User
from trading.extensions import db
from trading.trades.models import Trade

TITLE = "城西污水处理厂提标改造工程施工招标"
RING_ADDRESS, RING_DEVICE = "112.49.23.170", "7b0f3c1e-5d8a-4e2b-9c61-2f4a8d9e0b13"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
#: username -> (address, device id, paying account); bidder2 and bidder3 are the ring
SEEN = {
    "bidder": ("36.112.7.41", "c2a94e61-0b7d-4f35-8e2a-6d1b3f5c7a90", "6222 0210 0100 4417 352"),
    "bidder2": (RING_ADDRESS, RING_DEVICE, "6228 4800 3311 0987 215"),
    "bidder3": (RING_ADDRESS, RING_DEVICE, "6228 4800 3311 0987 215"),
    "bidder4": ("120.36.201.9", "e81d5b2a-3c47-4f60-a9d8-0b7c6e1f2d35", "6217 0000 1022 5544 803"),
}


def load(users: dict[str, User]) -> None:
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
    if trade is None:
        return
    for username, (address, device, account) in SEEN.items():
        org_id = users[username].organisation_id
        bid = db.session.scalar(sa.select(Bid).where(Bid.trade_id == trade.id, Bid.organisation_id == org_id,
                                                     Bid.state == BidState.SUBMITTED))
        if bid is None:
            continue
        if db.session.scalar(sa.select(BidSighting.id).where(BidSighting.bid_id == bid.id)) is None:
            sightings.record(bid, address, BROWSER, device)
        if db.session.scalar(sa.select(BidDeposit.id).where(BidDeposit.trade_id == trade.id,
                                                            BidDeposit.organisation_id == org_id)) is None:
            deposits.record_deposit(users["staff.works"], trade, org_id, trade.bid_security or Decimal("1"),
                                    bid.received_at - timedelta(days=2), None, account)
    db.session.flush()
    services.screen_trade(trade, None, trigger="demo")
    db.session.commit()
