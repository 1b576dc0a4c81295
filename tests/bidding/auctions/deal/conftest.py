"""The deal's fixtures, on top of the shared ones (tests/bidding/auctions/conftest.py): a listing with quotes,
closed; `set_reserve(trade, amount)` seals a reserve before the close and opens it (bidding/auctions/reserve)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bidding.auctions import services as auctions
from tests.bidding.auctions.conftest import LISTING_CLOSE, open_reserve, seal_reserve

AFTER_CLOSE = LISTING_CLOSE + timedelta(hours=1)  # Thu 2 April 2026, 10:00 CST


def set_reserve(trade, amount, opened: bool = True) -> None:
    """The decision branch sealed `amount` as the reserve a minute before the listing closed; with `opened`, the
    keyholders released their shares and the supervisor opened it now (bidding/auctions/reserve)."""
    from trading.clock import clock
    from trading.extensions import db

    cast = _cast()
    back = clock.now()
    clock.freeze(trade.bid_deadline - timedelta(minutes=1))
    seal_reserve(cast, trade, amount)
    clock.freeze(back)
    if opened:
        open_reserve(cast, trade)
    db.session.commit()


def _cast() -> dict:
    import sqlalchemy as sa

    from trading.accounts.models import User
    from trading.extensions import db

    return {name: db.session.scalar(sa.select(User).where(User.username == f"land_{name}"))
            for name in ("decider", "staff", "staff2", "supervisor")}


def open_sealed_reserve(trade) -> None:
    """After the last bid: the keyholders release their shares and the supervisor opens the sealed reserve."""
    open_reserve(_cast(), trade)


@pytest.fixture
def quoted(db, listing, land, clock):
    """The listing with quotes by `who` at the given amounts in order, then closed (clock after the close).
    Returns a function: quoted(("buyer1", amount), ("buyer2", amount), ...) -> (trade, regs)."""
    trade, regs = listing

    def make(*quotes):
        for i, (who, amount) in enumerate(quotes):
            clock.freeze(trade.listing_from + timedelta(hours=1 + i))
            q = auctions.quote(land[who], trade, amount)
            assert q.refusal is None, q.refusal
        clock.freeze(AFTER_CLOSE)
        db.session.commit()
        return trade, regs

    return make
