"""Fixtures of the live round, layered on the listing fixtures: the listing with quotes at its close,
then the round started and entered by all three buyers (open for bids)."""
from __future__ import annotations

import pytest

from bidding.auctions import services as auctions
from bidding.auctions.live import services as live
from tests.bidding.auctions.conftest import INCREMENT, LISTING_CLOSE, STARTING_PRICE


@pytest.fixture
def quoted(db, listing, land, clock):
    """At the listing close: buyer1 quoted the starting price, buyer2 one increment more (the leader)."""
    trade, regs = listing
    auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    auctions.quote(land["buyer2"], trade, STARTING_PRICE + INCREMENT)
    db.session.commit()
    clock.freeze(LISTING_CLOSE)
    return trade, regs


@pytest.fixture
def started(db, quoted, land, clock):
    """The round started by staff at the close: buyer1 and buyer2 may confirm (buyer3 never quoted)."""
    trade, regs = quoted
    live.start_round(land["staff"], trade)
    db.session.commit()
    return trade, regs


@pytest.fixture
def open_round(db, started, land, clock):
    """Both quoting buyers confirmed: the round is open, buyer2 leads at the listing's best quote."""
    trade, regs = started
    live.confirm(land["buyer1"], trade)
    live.confirm(land["buyer2"], trade)
    db.session.commit()
    return trade, regs
