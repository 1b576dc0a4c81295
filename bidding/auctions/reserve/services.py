"""The reserve's state changes. Interface for the deal (bidding/auctions/deal):

- `reserve_required(trade)`: whether the sale has a sealed reserve the deal must compare with;
- `opened_reserve(trade)`: the reserve once opened after the last bid, else None.
(Stubs until the sealed reserve lands: no sale has one yet.)
"""
from __future__ import annotations

from decimal import Decimal

from trading.trades.models import Trade


def reserve_required(trade: Trade) -> bool:
    return False


def opened_reserve(trade: Trade) -> Decimal | None:
    return None
