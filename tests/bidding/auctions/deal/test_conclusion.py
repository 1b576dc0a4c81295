"""The conclusion of a sale (O39 Art. 19): the best offer against the reserve decides between a deal and no
deal, by one service; the deal row keeps winner, price, basis and the premium figures."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bidding.auctions.deal import services as deal
from bidding.auctions.deal.models import NoDealReason, Outcome
from bidding.auctions.models import ListingQuote
from tests.bidding.auctions.conftest import INCREMENT, LISTING_CLOSE, STARTING_PRICE, qualify_buyer
from tests.bidding.auctions.deal.conftest import AFTER_CLOSE, set_reserve
from trading.errors import IllegalMove
from trading.notices.models import Notice, NoticeKind
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.reserved import ReservedMove

FEN = Decimal("0.01")


def notices(db, trade, kind):
    return list(db.session.scalars(sa.select(Notice).where(Notice.trade_id == trade.id, Notice.kind == kind)))


def test_reserve_met_exactly_concludes_with_the_highest_offer(db, quoted, land):
    top = STARTING_PRICE + 2 * INCREMENT
    trade, regs = quoted(("buyer1", STARTING_PRICE), ("buyer2", STARTING_PRICE + INCREMENT), ("buyer1", top))
    set_reserve(trade, top)
    row = deal.conclude(land["staff"], trade)
    db.session.commit()
    assert trade.state is TradeState.CONCLUDED and trade.history[-1].move == "conclude"
    assert (row.outcome, row.reason, row.price, row.basis) == (Outcome.CONCLUDED, None, top, "listing_quote")
    assert (row.registration_id, row.paddle) == (regs["buyer1"].id, regs["buyer1"].paddle)
    assert row.organisation_id == land["buyer1"].organisation_id and row.reserve == top
    assert row.premium_percent == Decimal("2.00")  # 10,200,000 / 10,000,000 - 1
    [notice] = notices(db, trade, NoticeKind.RESULT)
    assert "Land Buyer 1 Co." in notice.body and "¥10,200,000.00" in notice.body


def test_one_fen_below_the_reserve_is_no_deal_with_the_reason(db, quoted, land):
    top = STARTING_PRICE + INCREMENT
    trade, _regs = quoted(("buyer1", STARTING_PRICE), ("buyer2", top))
    set_reserve(trade, top + FEN)
    row = deal.conclude(land["staff"], trade)
    db.session.commit()
    assert trade.state is TradeState.NO_DEAL
    assert (row.outcome, row.reason, row.price, row.organisation_id) == (Outcome.NO_DEAL, NoDealReason.BELOW_RESERVE,
                                                                         top, None)
    assert row.premium_percent is None and deal.confirmation_of(trade) is None
    assert "below the reserve" in trade.history[-1].reason_message["id"]
    assert notices(db, trade, NoticeKind.RESULT) == [] and len(notices(db, trade, NoticeKind.FAILURE)) == 1
    # nobody's deposit is applied: all three are to be refunded
    assert [line.state for line in deal.deposit_lines(trade)] == ["due", "due", "due"]


def test_one_registrant_quoting_the_starting_price_wins_without_a_reserve(db, land_sale, land, clock):
    trade = land_sale
    clock.freeze(trade.issue_at + timedelta(hours=1))
    reg = qualify_buyer(land, trade, "buyer3")
    clock.freeze(trade.listing_from)
    trades.advance_due()
    from bidding.auctions import services as auctions

    auctions.quote(land["buyer3"], trade, STARTING_PRICE)
    clock.freeze(AFTER_CLOSE)
    row = deal.conclude(land["staff"], trade)
    assert (row.outcome, row.registration_id, row.price, row.premium_percent) == (
        Outcome.CONCLUDED, reg.id, STARTING_PRICE, Decimal("0.00"))


def test_equal_quotes_go_to_the_earliest(db, listing, land, clock):
    """The quote service never accepts two equal quotes (each must beat the last by the increment), but the rule
    is the law's (O39 Art. 19): two accepted quotes at the same amount, the earlier (lower seq) wins."""
    trade, regs = listing
    amount = STARTING_PRICE + INCREMENT
    at = trade.listing_from + timedelta(hours=2)
    for seq, who in ((1, "buyer2"), (2, "buyer3")):
        reg = regs[who]
        db.session.add(ListingQuote(trade_id=trade.id, registration_id=reg.id, paddle=reg.paddle, amount=amount,
                                    received_at=at, seq=seq))
    clock.freeze(AFTER_CLOSE)
    row = deal.conclude(land["staff"], trade)
    assert row.registration_id == regs["buyer2"].id and row.price == amount


def test_no_offer_is_no_deal_even_with_a_sealed_reserve(db, listing, land, clock):
    trade, _regs = listing
    set_reserve(trade, STARTING_PRICE, opened=False)
    clock.freeze(AFTER_CLOSE)
    row = deal.conclude(land["staff"], trade)
    assert (trade.state, row.reason, row.price, row.paddle) == (TradeState.NO_DEAL, NoDealReason.NO_OFFER, None, None)
    [notice] = notices(db, trade, NoticeKind.FAILURE)
    assert "No valid quote" in notice.message["body"][0]["id"]


def test_an_offer_is_not_judged_while_the_reserve_is_sealed(db, quoted, land):
    trade, _regs = quoted(("buyer1", STARTING_PRICE))
    set_reserve(trade, STARTING_PRICE, opened=False)
    with pytest.raises(IllegalMove) as exc:
        deal.conclude(land["staff"], trade)
    assert exc.value.code == "reserve_sealed"
    assert trade.state is TradeState.LISTING and deal.deal_of(trade) is None


def test_not_before_the_close_and_not_twice(db, listing, land, clock):
    trade, _regs = listing
    clock.freeze(LISTING_CLOSE - timedelta(seconds=1))
    with pytest.raises(IllegalMove):
        deal.conclude(land["staff"], trade)
    db.session.rollback()
    assert deal.deal_of(trade) is None
    clock.freeze(LISTING_CLOSE)
    deal.conclude(land["staff"], trade)
    with pytest.raises(IllegalMove) as exc:
        deal.conclude(land["staff"], trade)
    assert exc.value.code == "deal_made"


def test_the_generic_move_is_reserved_to_the_deal(db, listing, land, clock):
    trade, _regs = listing
    clock.freeze(AFTER_CLOSE)
    for move in ("conclude", "no_deal"):
        with pytest.raises(ReservedMove) as exc:
            trades.move(trade, move, land["staff"], reason="by hand")
        assert exc.value.procedure == "deal"
    assert trade.state is TradeState.LISTING


def test_only_the_executing_staff_conclude(db, listing, land, clock):
    from trading.permissions import NotAllowed

    trade, _regs = listing
    clock.freeze(AFTER_CLOSE)
    for who in ("decider", "supervisor", "seller", "buyer1"):
        with pytest.raises(NotAllowed):
            deal.conclude(land[who], trade)
    assert deal.deal_of(trade) is None


def test_the_winners_deposit_is_applied_to_the_price(db, quoted, land):
    trade, regs = quoted(("buyer2", STARTING_PRICE))
    deal.conclude(land["staff"], trade)
    lines = {line.deposit.organisation_id: line for line in deal.deposit_lines(trade)}
    winner = lines[land["buyer2"].organisation_id]
    assert winner.winner and winner.state == "applied" and winner.deposit.retained_at is not None
    assert "39" in winner.deposit.note  # the note cites the rule
    assert [line.state for line in lines.values() if not line.winner] == ["due", "due"]


@pytest.mark.parametrize(("price", "base", "percent"), [
    (Decimal("12345678.91"), Decimal("10000000.00"), Decimal("23.46")),  # 23.4567891 %
    (Decimal("10000500.00"), Decimal("10000000.00"), Decimal("0.01")),  # 0.005 % exactly: half up
    (Decimal("10000499.99"), Decimal("10000000.00"), Decimal("0.00")),  # 0.0049999 %
    (Decimal("11000000.00"), Decimal("8800000.00"), Decimal("25.00")),
    (Decimal("9000000.00"), Decimal("12000000.00"), Decimal("-25.00")),  # below an appraisal
])
def test_premium_and_appreciation_to_a_hundredth_of_a_percent_half_up(price, base, percent):
    assert deal.percent_over(price, base) == percent


def test_property_appreciation_over_the_appraised_value(db, quoted, land):
    """A sale with an appraisal records the appreciation too (here on the land fixture's terms)."""
    from bidding.auctions.models import AuctionTerms

    trade, _regs = quoted(("buyer1", STARTING_PRICE), ("buyer3", STARTING_PRICE + 10 * INCREMENT))
    db.session.get(AuctionTerms, trade.id).appraised_value = Decimal("8800000.00")
    row = deal.conclude(land["staff"], trade)
    assert (row.premium_percent, row.appreciation_percent) == (Decimal("10.00"), Decimal("25.00"))
    assert deal.deals_between(AFTER_CLOSE - timedelta(days=1), AFTER_CLOSE + timedelta(days=1)) == [row]


def test_after_a_live_round_the_last_accepted_bid_wins_once_the_round_is_closed(db, quoted, land, clock):
    """The live round (bidding/auctions/live) outbids the listing; the deal waits for its close."""
    from bidding.auctions.live import services as live
    from bidding.auctions.live.bids import place_bid

    trade, regs = quoted(("buyer1", STARTING_PRICE), ("buyer2", STARTING_PRICE + INCREMENT))
    clock.freeze(LISTING_CLOSE)
    live.start_round(land["staff"], trade)
    live.confirm(land["buyer1"], trade)
    live.confirm(land["buyer2"], trade)
    clock.advance(timedelta(seconds=5))
    bid, _again = place_bid(land["buyer1"], trade, STARTING_PRICE + 3 * INCREMENT, "b1-1")
    assert bid.seq == 1
    db.session.commit()
    with pytest.raises(IllegalMove) as exc:
        deal.conclude(land["staff"], trade)
    assert exc.value.code == "round_running"
    clock.freeze(live.round_of(trade).ends_at + timedelta(seconds=live.CLOSE_GRACE_SECONDS))
    live.run_due()
    set_reserve(trade, STARTING_PRICE + 3 * INCREMENT)
    row = deal.conclude(land["staff"], trade)
    assert (trade.state, row.basis, row.registration_id, row.price, row.premium_percent) == (
        TradeState.CONCLUDED, "live_bid", regs["buyer1"].id, STARTING_PRICE + 3 * INCREMENT, Decimal("3.00"))


def test_the_period_figures_for_the_statistics(db, land_sale, land, clock, make_trade, centres):
    """Two land deals at 2.00 % and 3.00 % premium (mean 2.50 %) and one no deal, counted in their period."""
    from bidding.auctions.deal.models import Deal
    from bidding.auctions.deal.statistics import figures

    at = AFTER_CLOSE
    rows = [(Outcome.CONCLUDED, STARTING_PRICE + 2 * INCREMENT, Decimal("2.00")),
            (Outcome.CONCLUDED, STARTING_PRICE + 3 * INCREMENT, Decimal("3.00")),
            (Outcome.NO_DEAL, None, None)]
    trades = [land_sale] + [make_trade(land["staff"], centre_id=centres["LAND"].id, method="land_listing",
                                       title=f"Plot {n}", estimated_price=STARTING_PRICE, bid_security=None,
                                       issue_at=land_sale.issue_at, docs_until=None,
                                       listing_from=land_sale.listing_from, bid_deadline=land_sale.bid_deadline,
                                       opening_at=None) for n in (2, 3)]
    for trade, (outcome, price, premium) in zip(trades, rows):
        db.session.add(Deal(trade_id=trade.id, outcome=outcome, price=price, premium_percent=premium,
                            starting_price=STARTING_PRICE, decided_at=at, decided_by_id=land["staff"].id,
                            reason=None if price else NoDealReason.NO_OFFER))
    db.session.flush()
    got = figures(at, at + timedelta(seconds=1))
    assert (got.concluded, got.no_deal, got.turnover, got.mean_premium_percent, got.mean_appreciation_percent) == (
        2, 1, Decimal("20500000.00"), Decimal("2.50"), None)
    assert figures(at + timedelta(seconds=1), at + timedelta(days=1)).concluded == 0
