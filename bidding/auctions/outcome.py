"""The best offer of a sale, whichever way it was made: the live round's last accepted bid when a round
ran with bids, else the highest listing quote, ties to the earliest (O39 Art 19). The deal reads it
(bidding/auctions/deal), compares it with the reserve and concludes or records no deal."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

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
    """The highest accepted offer (the live round's bids are added by bidding/auctions/live)."""
    for source in OFFER_SOURCES:
        offer = source(trade)
        if offer is not None:
            return offer
    quotes = accepted_quotes(trade)
    if not quotes:
        return None
    best = max(quotes, key=lambda q: (q.amount, -q.seq))
    return Offer(best.registration_id, best.paddle, best.amount, best.received_at, "listing_quote")
