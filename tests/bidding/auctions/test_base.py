"""The base the live round and the deal build on: registration, qualification with a deposit and a paddle,
and listing quotes at the increment."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bidding.auctions import services as auctions
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from trading.errors import IllegalMove, InvalidInput
from trading.trades.flows import TradeState


def test_qualified_registrants_get_distinct_paddles_and_may_bid(db, listing):
    trade, regs = listing
    assert trade.state is TradeState.LISTING
    paddles = [r.paddle for r in regs.values()]
    assert len(set(paddles)) == 3 and all(p >= 1 for p in paddles)
    assert [r.id for r in auctions.bidders(trade)] == [r.id for r in sorted(regs.values(), key=lambda r: r.paddle)]


def test_registering_twice_is_refused(db, land_sale, land, clock):
    auctions.register(land["buyer1"], land_sale)
    with pytest.raises(InvalidInput) as exc:
        auctions.register(land["buyer1"], land_sale)
    assert "organisation_id" in exc.value.errors


def test_quotes_start_at_the_starting_price_then_climb_by_the_increment(db, listing, land, clock):
    trade, regs = listing
    assert auctions.minimum_quote(trade) == STARTING_PRICE
    low = auctions.quote(land["buyer1"], trade, STARTING_PRICE - 1)
    assert (low.seq, low.refusal) == (None, "too_low")
    first = auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    assert (first.seq, first.refusal) == (1, None)
    assert auctions.minimum_quote(trade) == STARTING_PRICE + INCREMENT
    second = auctions.quote(land["buyer2"], trade, STARTING_PRICE + 2 * INCREMENT)
    assert second.seq == 2 and auctions.current_price(trade) == STARTING_PRICE + 2 * INCREMENT
    assert [q.paddle for q in auctions.accepted_quotes(trade)] == [regs["buyer1"].paddle, regs["buyer2"].paddle]
    clock.freeze(trade.bid_deadline)
    late = auctions.quote(land["buyer3"], trade, STARTING_PRICE + 3 * INCREMENT)
    assert late.refusal == "not_listing"


def test_unqualified_company_cannot_quote(db, listing, land, users):
    trade, _regs = listing
    with pytest.raises(IllegalMove):
        auctions.quote(users["bidder"], trade, STARTING_PRICE)
