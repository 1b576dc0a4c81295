"""The deal's fixtures, on top of the shared ones (tests/bidding/auctions/conftest.py): a listing with quotes,
closed; `reserve(trade, amount)` states a sealed reserve through the reserve package's interface."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bidding.auctions import services as auctions
from bidding.auctions.reserve import services as reserve_services
from tests.bidding.auctions.conftest import LISTING_CLOSE

AFTER_CLOSE = LISTING_CLOSE + timedelta(hours=1)  # Thu 2 April 2026, 10:00 CST


def set_reserve(trade, amount, opened: bool = True) -> None:
    """A reserve for `trade`: through the seam the reserve package keeps until the sealed reserve lands
    (bidding/auctions/reserve/services.py: stub_reserve; the deal reads only reserve_required/opened_reserve)."""
    reserve_services.stub_reserve(trade, amount, opened)


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
