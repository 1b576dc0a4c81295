"""The running round's timer (bidding/auctions/live/closer.py) on the frozen clock: it opens the round when the
confirmation window ends and closes it when the countdown (plus the grace) runs out, without a tick; a bid
that moved the end keeps it open. `poke()` makes the closer look now and returns once that look committed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bidding.auctions.live import services as live
from bidding.auctions.live.bids import place_bid
from bidding.auctions.live.closer import closer
from bidding.auctions.live.models import RoundState
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE

LEAD = STARTING_PRICE + INCREMENT  # buyer2's listing quote


@pytest.fixture
def app(make_app):
    return make_app(LIVE_ROUND_CLOSER=True)


def state(db, trade):
    db.session.rollback()  # a fresh read of what the closer committed
    return live.round_of(trade)


def test_the_closer_opens_at_the_window_end_and_closes_at_the_countdown_end(db, app, started, land, clock):
    trade, regs = started
    live.confirm(land["buyer1"], trade)  # buyer2 does not confirm: the window decides
    db.session.commit()
    timer = closer(app)
    rnd = state(db, trade)
    assert rnd.id in timer.rounds and rnd.state is RoundState.CONFIRMING
    clock.freeze(rnd.confirm_until - timedelta(milliseconds=1))
    assert timer.poke() and state(db, trade).state is RoundState.CONFIRMING
    clock.freeze(rnd.confirm_until)
    assert timer.poke()
    rnd = state(db, trade)
    assert rnd.state is RoundState.OPEN and rnd.opened_at == clock.now()
    first_end = rnd.ends_at

    clock.advance(timedelta(seconds=10))
    taken, _ = place_bid(land["buyer1"], trade, LEAD + INCREMENT, "closer-1")
    db.session.commit()
    assert taken.seq == 1
    due = taken.ends_at + timedelta(seconds=live.CLOSE_GRACE_SECONDS)
    clock.freeze(first_end + timedelta(seconds=live.CLOSE_GRACE_SECONDS))  # the first end: a bid moved it
    assert timer.poke() and state(db, trade).state is RoundState.OPEN
    clock.freeze(due - timedelta(milliseconds=1))
    assert timer.poke() and state(db, trade).state is RoundState.OPEN
    clock.freeze(due)
    assert timer.poke()
    rnd = state(db, trade)
    assert (rnd.state, rnd.closed_at, rnd.leader_paddle) == (RoundState.CLOSED, due, regs["buyer1"].paddle)
    assert rnd.id not in timer.rounds and live.run_due() == []  # nothing left for the tick


def test_the_tick_hands_a_running_round_to_the_closer(db, app, open_round, land, clock):
    """A restarted process: its closer knows no round until the first tick hands it the running ones."""
    trade, _regs = open_round
    timer = closer(app)
    rnd = state(db, trade)
    with timer.lock:
        timer.rounds.clear()
    assert live.run_due() == [] and rnd.id in timer.rounds
    clock.freeze(rnd.ends_at + timedelta(seconds=live.CLOSE_GRACE_SECONDS))
    assert timer.poke()
    assert state(db, trade).state is RoundState.CLOSED


def test_off_in_tests_unless_switched_on(make_app, clock):
    plain = make_app()
    assert plain.config.get("LIVE_ROUND_CLOSER") is None and plain.testing
    from bidding.auctions.live.closer import enabled

    assert not enabled(plain)
