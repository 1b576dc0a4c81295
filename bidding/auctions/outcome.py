"""The best offer of a sale, whichever way it was made: the live round's last accepted bid when a round
ran with bids, else the highest listing quote, ties to the earliest (O39 Art 19). The deal reads it
(bidding/auctions/deal), compares it with the reserve and concludes or records no deal."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bidding.auctions.live.bids import accepted_bids
from bidding.auctions.live.services import round_of
from bidding.auctions.services import accepted_quotes
from trading.trades.models import Trade


@dataclass(frozen=True)
class Offer:
    registration_id: int
    paddle: int
    amount: Decimal
    at: datetime
    basis: str  # "listing_quote" | "live_bid" | "negotiated"


#: other ways a sale ends in one offer, asked first: fn(trade) -> Offer | None (bidding/auctions/property
#: registers the negotiated transfer to a sole qualified transferee, basis "negotiated")
OFFER_SOURCES: list[Callable[[Trade], Offer | None]] = []


def register_offer_source(fn: Callable[[Trade], Offer | None]) -> Callable[[Trade], Offer | None]:
    if fn not in OFFER_SOURCES:
        OFFER_SOURCES.append(fn)
    return fn


def best_offer(trade: Trade) -> Offer | None:
    """The highest accepted offer: the live round's last accepted bid (each one beats the one before),
    else the highest listing quote, ties to the earliest. While a round is open this is the current
    leader; the deal waits for the round's close (`live.services.round_changed`, what="closed"). A registered
    source (OFFER_SOURCES: the negotiated transfer of a property) answers first."""
    for source in OFFER_SOURCES:
        offer = source(trade)
        if offer is not None:
            return offer
    rnd = round_of(trade)
    if rnd is not None and rnd.accepted_count:
        last = accepted_bids(rnd, 1)[0]
        return Offer(last.registration_id, last.paddle, last.amount, last.received_at, "live_bid")
    quotes = accepted_quotes(trade)
    if not quotes:
        return None
    best = max(quotes, key=lambda q: (q.amount, -q.seq))
    return Offer(best.registration_id, best.paddle, best.amount, best.received_at, "listing_quote")
