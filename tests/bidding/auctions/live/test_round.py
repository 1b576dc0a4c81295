"""The live round's rules on the frozen clock: entry, the countdown's reset and its end at the boundary
second, whole increments, the leader, idempotent retries, one registrant, nobody confirming, an auction."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bidding.auctions import services as auctions
from bidding.auctions.live import services as live
from bidding.auctions.live.bids import accepted_bids, place_bid
from bidding.auctions.live.models import RoundState
from bidding.auctions.outcome import best_offer
from tests.bidding.auctions.conftest import INCREMENT, LISTING_CLOSE, STARTING_PRICE, qualify_buyer
from tests.conftest import START
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.reserved import ReservedMove

LEAD = STARTING_PRICE + INCREMENT  # buyer2's listing quote


def bid(db, user, trade, amount, ref):
    placed, replay = place_bid(user, trade, amount, ref)
    db.session.commit()
    return placed, replay


def test_start_goes_through_the_round_and_only_quoting_registrants_enter(db, quoted, land, clock):
    trade, regs = quoted
    with pytest.raises(ReservedMove):
        trades.move(trade, "start_timed_bidding", land["staff"])
    with pytest.raises(NotAllowed):
        live.start_round(land["buyer1"], trade)
    rnd = live.start_round(land["staff"], trade)
    db.session.commit()
    assert trade.state is TradeState.TIMED_BIDDING
    assert rnd.state is RoundState.CONFIRMING
    assert (rnd.price, rnd.leader_paddle) == (LEAD, regs["buyer2"].paddle)
    assert rnd.confirm_until == LISTING_CLOSE + timedelta(seconds=300)
    with pytest.raises(IllegalMove) as exc:
        live.confirm(land["buyer3"], trade)  # qualified, but never quoted
    assert exc.value.code == "not_eligible"
    live.confirm(land["buyer1"], trade)
    assert live.round_of(trade).state is RoundState.CONFIRMING  # buyer2 may still confirm
    clock.advance(timedelta(seconds=10))
    live.confirm(land["buyer2"], trade)
    db.session.commit()
    rnd = live.round_of(trade)
    assert rnd.state is RoundState.OPEN  # everyone who may enter has: no wait for the window's end
    assert rnd.ends_at == LISTING_CLOSE + timedelta(seconds=310)


def test_countdown_restarts_with_each_bid_and_ends_at_the_boundary_second(db, open_round, land, clock):
    trade, regs = open_round
    opened = live.round_of(trade).ends_at - timedelta(seconds=300)
    clock.freeze(opened + timedelta(seconds=299, microseconds=999_000))  # the last millisecond
    first, _ = bid(db, land["buyer1"], trade, LEAD + INCREMENT, "b1-1")
    assert first.seq == 1
    assert first.ends_at == opened + timedelta(seconds=599, microseconds=999_000)
    clock.advance(timedelta(seconds=120))
    second, _ = bid(db, land["buyer2"], trade, LEAD + 2 * INCREMENT, "b2-1")
    ends = second.ends_at
    assert ends == clock.now() + timedelta(seconds=300)
    clock.freeze(ends)  # exactly the end: too late
    late, _ = bid(db, land["buyer1"], trade, LEAD + 3 * INCREMENT, "b1-late")
    assert (late.seq, late.refusal) == (None, "round_over")
    assert live.run_due() == []  # the grace for bids still on their way to the row
    assert live.round_of(trade).state is RoundState.OPEN
    clock.freeze(ends + timedelta(seconds=live.CLOSE_GRACE_SECONDS))
    assert live.run_due() == [trade.ref]
    rnd = live.round_of(trade)
    assert (rnd.state, rnd.price, rnd.leader_paddle, rnd.accepted_count) == (
        RoundState.CLOSED, LEAD + 2 * INCREMENT, regs["buyer2"].paddle, 2)
    offer = best_offer(trade)
    assert (offer.basis, offer.amount, offer.paddle) == ("live_bid", LEAD + 2 * INCREMENT, regs["buyer2"].paddle)


def test_bids_are_whole_increments_above_the_price_and_the_leader_waits(db, open_round, land, clock):
    trade, regs = open_round
    cases = [
        (land["buyer2"], LEAD + INCREMENT, "already_leading"),  # holds the listing's best quote
        (land["buyer1"], LEAD, "too_low"),
        (land["buyer1"], LEAD + INCREMENT + 1, "not_increment"),
        (land["buyer1"], LEAD + INCREMENT / 2, "too_low"),
        (land["buyer3"], LEAD + INCREMENT, "not_entrant"),
    ]
    for n, (who, amount, code) in enumerate(cases):
        refused, _ = bid(db, who, trade, amount, f"r{n}")
        assert (refused.seq, refused.refusal, refused.price) == (None, code, LEAD), code
    typed, _ = bid(db, land["buyer1"], trade, LEAD + 3 * INCREMENT, "typed")  # a typed amount, three steps
    assert typed.seq == 1 and live.round_of(trade).price == LEAD + 3 * INCREMENT
    with pytest.raises(InvalidInput) as exc:
        place_bid(land["buyer1"], trade, "12.345", "bad")
    assert "amount" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        place_bid(land["buyer1"], trade, LEAD, "has spaces")
    assert "client_ref" in exc.value.errors


def test_a_retry_with_the_same_reference_gets_the_same_answer_never_a_second_level(db, open_round, land, clock):
    trade, _regs = open_round
    first, replay = bid(db, land["buyer1"], trade, LEAD + INCREMENT, "same-ref")
    assert (first.seq, replay) == (1, False)
    clock.advance(timedelta(seconds=5))
    again, replay = bid(db, land["buyer1"], trade, LEAD + INCREMENT, "same-ref")
    assert (again.id, again.seq, replay) == (first.id, 1, True)
    assert live.round_of(trade).accepted_count == 1
    with pytest.raises(InvalidInput) as exc:
        place_bid(land["buyer1"], trade, LEAD + 2 * INCREMENT, "same-ref")
    assert "client_ref" in exc.value.errors
    refused, _ = bid(db, land["buyer2"], trade, LEAD, "low")
    assert refused.refusal == "too_low"
    again, replay = bid(db, land["buyer2"], trade, LEAD, "low")
    assert (again.id, again.refusal, replay) == (refused.id, "too_low", True)
    beaten, _ = bid(db, land["buyer2"], trade, LEAD + INCREMENT, "beaten")
    assert beaten.refusal == "outbid"  # buyer1 holds that very level


def test_nobody_confirms_the_listing_decides_at_once(db, started, land, clock):
    trade, regs = started
    clock.advance(timedelta(seconds=299))
    assert live.run_due() == []
    clock.advance(timedelta(seconds=1))  # the window ends
    assert live.run_due() == [trade.ref]
    rnd = live.round_of(trade)
    assert rnd.state is RoundState.CLOSED and rnd.closed_at == clock.now()
    with pytest.raises(IllegalMove) as exc:
        live.confirm(land["buyer1"], trade)
    assert exc.value.code == "confirm_closed"
    offer = best_offer(trade)
    assert (offer.basis, offer.amount, offer.paddle) == ("listing_quote", LEAD, regs["buyer2"].paddle)


def test_one_registrant_the_leader_alone_closes_at_once(db, started, land, clock):
    trade, regs = started
    live.confirm(land["buyer2"], trade)  # the leader: nobody to bid against
    clock.advance(timedelta(seconds=300))
    live.run_due()
    assert live.round_of(trade).state is RoundState.CLOSED
    assert best_offer(trade).amount == LEAD


def test_one_registrant_a_challenger_alone_may_take_the_lead(db, started, land, clock):
    trade, regs = started
    live.confirm(land["buyer1"], trade)
    clock.advance(timedelta(seconds=300))
    live.run_due()
    rnd = live.round_of(trade)
    assert rnd.state is RoundState.OPEN and rnd.ends_at == clock.now() + timedelta(seconds=300)
    taken, _ = bid(db, land["buyer1"], trade, LEAD + INCREMENT, "only")
    assert taken.seq == 1
    again, _ = bid(db, land["buyer1"], trade, LEAD + 2 * INCREMENT, "again")
    assert again.refusal == "already_leading"
    clock.freeze(taken.ends_at + timedelta(seconds=live.CLOSE_GRACE_SECONDS))
    live.run_due()
    offer = best_offer(trade)
    assert (offer.basis, offer.paddle, offer.amount) == ("live_bid", regs["buyer1"].paddle, LEAD + INCREMENT)


def test_no_quotes_at_all_closes_the_round_at_once(db, listing, land, clock):
    trade, _regs = listing
    clock.freeze(LISTING_CLOSE)
    rnd = live.start_round(land["staff"], trade)
    db.session.commit()
    assert rnd.state is RoundState.CLOSED and best_offer(trade) is None


def test_a_land_auction_opens_at_its_round_time_with_every_qualified_registrant(db, make_trade, centres, land,
                                                                                 clock):
    clock.freeze(START)
    issue = START + timedelta(days=1)
    auction_at = issue + timedelta(days=21)
    trade = make_trade(land["staff"], centre_id=centres["LAND"].id, method="land_auction",
                       title="Plot D-01 land use rights (auction)", estimated_price=STARTING_PRICE,
                       bid_security=STARTING_PRICE / 5, issue_at=issue, docs_until=None, bid_deadline=auction_at,
                       opening_at=None)
    auctions.set_terms(land["staff"], trade, INCREMENT, round_at=auction_at + timedelta(hours=1))
    for move, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, move, land[who])
    db.session.commit()
    clock.freeze(issue + timedelta(hours=1))
    trades.advance_due()
    regs = {who: qualify_buyer(land, trade, who) for who in ("buyer1", "buyer2")}
    db.session.commit()
    clock.freeze(auction_at + timedelta(minutes=59))
    assert live.run_due() == [] and live.round_of(trade) is None
    clock.freeze(auction_at + timedelta(hours=1))
    assert live.run_due() == [trade.ref]
    rnd = live.round_of(trade)
    assert rnd.state is RoundState.OPEN and rnd.leader_paddle is None and len(rnd.entrants) == 2
    assert trade.state is TradeState.TIMED_BIDDING
    low, _ = bid(db, land["buyer1"], trade, STARTING_PRICE - INCREMENT, "low")
    assert low.refusal == "too_low"
    first, _ = bid(db, land["buyer1"], trade, STARTING_PRICE, "first")  # the starting price is a valid first bid
    assert first.seq == 1
    second, _ = bid(db, land["buyer2"], trade, STARTING_PRICE + INCREMENT, "second")
    assert second.seq == 2
    assert [b.paddle for b in accepted_bids(live.round_of(trade))] == [regs["buyer1"].paddle, regs["buyer2"].paddle]
