"""The price board: what every screen of a live round shows, as one dict (the API's and the page's).

Bidders appear by paddle number only; a bidder's own paddle is named to them (`my_paddle`). The server
time is in every board so a client measures its clock's offset and shows the countdown from `ends_at`.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bidding.auctions.live.bids import accepted_bids, next_minimum
from bidding.auctions.live.models import RoundState
from bidding.auctions.live.services import entrant_of, eligible, kind_of, round_of
from bidding.auctions.services import current_price, registration_of, terms_of
from trading.clock import now
from trading.numerals import rmb_upper
from trading.trades.models import Trade

#: the accepted bids a board lists (the newest); the live stream carries every later one
BOARD_BIDS = 50


def premium_rate(price: Decimal, starting: Decimal) -> Decimal:
    """The premium over the starting price in percent, two decimals (溢价率)."""
    if not starting:
        return Decimal("0.00")
    return ((price - starting) * 100 / starting).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def board(trade: Trade, viewer) -> dict:
    at = now()
    rnd = round_of(trade)
    reg = None
    if getattr(viewer, "is_authenticated", False) and viewer.organisation_id:
        reg = registration_of(trade, viewer.organisation_id)
        if reg is not None and reg.paddle is None:
            reg = None
    starting = trade.estimated_price
    terms = terms_of(trade)
    out = {"trade_id": trade.id, "ref": trade.ref, "server_time": at, "starting_price": starting,
           "my_paddle": reg.paddle if reg else None, "entered": False, "may_confirm": False, "may_bid": False}
    if rnd is None:
        price = current_price(trade)
        out.update(state="pending", kind=kind_of(trade), price=price, increment=terms.increment if terms else None,
                   leader_paddle=None, accepted_count=0, ends_at=None, confirm_until=None, next_minimum=None,
                   bids=[], winner_paddle=None, outcome=None)
    else:
        price = rnd.price
        state = rnd.state.value
        if rnd.state is RoundState.OPEN and rnd.ends_at is not None and at >= rnd.ends_at:
            state = "ended"  # the countdown ran out; the tick records the close
        entered = reg is not None and entrant_of(rnd, reg.id) is not None
        closed = state in ("ended", "closed")
        out.update(
            state=state, kind=rnd.kind, price=price, increment=rnd.increment, leader_paddle=rnd.leader_paddle,
            accepted_count=rnd.accepted_count, ends_at=rnd.ends_at, confirm_until=rnd.confirm_until,
            next_minimum=None if closed else next_minimum(rnd), entered=entered,
            may_confirm=bool(reg and not entered and rnd.state is RoundState.CONFIRMING
                             and rnd.confirm_until and at < rnd.confirm_until and reg in eligible(trade, rnd.kind)),
            may_bid=bool(entered and state == "open" and rnd.leader_registration_id != reg.id),
            bids=[{"seq": b.seq, "paddle": b.paddle, "amount": b.amount, "at": b.received_at}
                  for b in accepted_bids(rnd, BOARD_BIDS)],
            winner_paddle=rnd.leader_paddle if closed else None,
            outcome=(("live_bid" if rnd.accepted_count else "listing_quote" if rnd.leader_paddle else "none")
                     if closed else None))
    out["price_upper_zh"] = rmb_upper(price) if price is not None else None
    out["premium"] = price - starting if price is not None and starting is not None else None
    out["premium_rate"] = premium_rate(price, starting) if price is not None and starting else None
    return out
