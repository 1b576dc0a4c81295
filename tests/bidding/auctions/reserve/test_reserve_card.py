"""E-supervision of the sealed reserve: a land sale whose listing closes with no reserve sealed gets a red card
(`land.reserve_sealed`: the sale cannot end with a deal, O39 Art 10); one sealed before the close gets none."""
from __future__ import annotations

from datetime import timedelta

from tests.bidding.auctions.conftest import LISTING_CLOSE, seal_reserve
from tests.monitor.cards.cards_fixtures import go, levels, tick

SECOND = timedelta(seconds=1)
NORM = "land.reserve_sealed"


def test_a_listing_closing_without_a_sealed_reserve_is_carded_red(db, listing):
    trade, _ = listing
    go(LISTING_CLOSE - SECOND)
    tick()
    assert levels(db, trade, NORM) == []
    go(LISTING_CLOSE)
    tick()
    assert levels(db, trade, NORM) == ["red"]


def test_a_reserve_sealed_before_the_close_keeps_the_card_away(db, listing, land):
    trade, _ = listing
    seal_reserve(land, trade)
    db.session.commit()
    go(LISTING_CLOSE + timedelta(hours=1))
    tick()
    assert levels(db, trade, NORM) == []
