"""The reserve's state changes. Interface for the deal (bidding/auctions/deal):

- `reserve_required(trade)`: whether the sale has a sealed reserve the deal must compare with;
- `opened_reserve(trade)`: the reserve once opened after the last bid, else None.
(Stubs until the sealed reserve lands: no sale has one yet.)

Until then one seam lets the deal's tests state the contract: `stub_reserve(trade, amount, opened=True)`
keeps a reserve for the trade on the running app only (app.extensions, never the database), which the two
functions above then report. The sealed reserve replaces this whole module; nothing in production calls it.
"""
from __future__ import annotations

from decimal import Decimal

from flask import current_app

from trading.trades.models import Trade

_STUB = "auction_reserve_stub"


def _stubbed() -> dict[int, tuple[Decimal, bool]]:
    return current_app.extensions.setdefault(_STUB, {})


def stub_reserve(trade: Trade, amount: Decimal, opened: bool = True) -> None:
    """Test seam until the sealed reserve lands: the trade has a reserve of `amount`, opened or still sealed."""
    _stubbed()[trade.id] = (Decimal(amount), opened)


def reserve_required(trade: Trade) -> bool:
    return trade.id in _stubbed()


def opened_reserve(trade: Trade) -> Decimal | None:
    amount, opened = _stubbed().get(trade.id, (None, False))
    return amount if opened else None
