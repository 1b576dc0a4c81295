"""Scoring's state changes and its one public answer, `final_ranking(trade)`.

Interface fixed for the award package: `final_ranking` returns the passed bids in rank order once the
committee has finished scoring (an empty list before), each as a `Ranked`."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bidding.evaluation.services import passed_bids
from trading.trades.models import Trade


@dataclass(frozen=True)
class Ranked:
    rank: int  # 1 = first
    entry_id: int  # bidding.ceremony.models.OpeningEntry.id
    bid_id: int
    organisation_id: int
    price: Decimal  # the opened price
    evaluated_price: Decimal | None  # the lowest-evaluated-price method's adjusted price
    total: Decimal | None  # the score, for the scoring methods


def final_ranking(trade: Trade) -> list[Ranked]:
    """Placeholder until the score sheets exist: the passed bids by opened price, ties to the earlier."""
    entries = sorted((e for e in passed_bids(trade) if e.price is not None), key=lambda e: (e.price, e.id))
    return [Ranked(i + 1, e.id, e.bid_id, e.organisation_id, e.price, None, None) for i, e in enumerate(entries)]
