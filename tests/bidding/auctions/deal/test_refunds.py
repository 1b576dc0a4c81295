"""The deposits after a sale: the winner's applied to the price, the others refunded within 5 working days of
the deal or no deal (O39 Art. 21), counted as e-supervision counts them; the norm `land.deposit_refund` of the
listing rule sets cards a refund made late or a deposit still held. The result notice is out at once, so
`land.result_published` (10 working days, O39 Art. 22) stays clear."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from bidding.auctions.deal import services as deal
from tests.bidding.auctions.conftest import STARTING_PRICE
from tests.monitor.cards.cards_fixtures import cards, go, levels, tick
from trading.clock import local_tz
from trading.rules import services as calendar

SECOND = timedelta(seconds=1)


def cst(*args) -> datetime:
    return datetime(*args, tzinfo=local_tz())


def test_refunds_are_due_after_five_working_days_and_late_ones_are_carded(db, quoted, land, users):
    """Concluded Thu 2 April 2026 10:00; with Mon 6 April a holiday (清明节) the five working days are Fri 3, Tue 7,
    Wed 8, Thu 9 and Fri 10 April: due by the end of Fri 10 (Sat 11 00:00 is the first instant past it); without
    the holiday the fifth would be Thu 9."""
    calendar.set_day(users["decider"], date(2026, 4, 6), "holiday", "清明节")
    trade, regs = quoted(("buyer1", STARTING_PRICE))
    assert trade.rule_set.key == "land_listing"
    deal.conclude(land["staff"], trade)
    db.session.commit()
    lines = {line.deposit.organisation_id: line for line in deal.deposit_lines(trade)}
    on_time, late = lines[land["buyer2"].organisation_id], lines[land["buyer3"].organisation_id]
    winner = lines[land["buyer1"].organisation_id]
    assert winner.due is None and winner.state == "applied"
    assert on_time.due == late.due == cst(2026, 4, 11)
    norm = "land.deposit_refund"
    go(cst(2026, 4, 10) - SECOND)
    tick()
    assert levels(db, trade, norm) == [] and levels(db, trade, "land.result_published") == []
    go(cst(2026, 4, 10, 23, 59, 59))  # the last second of the last day: still in time (a yellow warning meanwhile)
    tick()
    assert levels(db, trade, norm) == ["yellow", "yellow"]
    deal.refund(land["staff"], trade, on_time.deposit.id)
    db.session.commit()
    tick()
    assert [c.subject for c in cards(db, trade, norm)] == [f"deposit:{late.deposit.id}"]
    go(cst(2026, 4, 11))  # the first instant past the period: red for the deposit still held
    tick()
    assert levels(db, trade, norm) == ["red"]
    assert [line.state for line in deal.deposit_lines(trade) if line.deposit.id == late.deposit.id] == ["overdue"]
    deal.refund(land["staff"], trade, late.deposit.id)
    db.session.commit()
    tick()
    [card] = cards(db, trade, norm)
    assert card.level.value == "red" and card.subject == f"deposit:{late.deposit.id}"  # refunded, but late
    states = {line.deposit.id: line.state for line in deal.deposit_lines(trade)}
    assert (states[on_time.deposit.id], states[late.deposit.id]) == ("refunded", "late")
    assert levels(db, trade, "land.result_published") == []


def test_without_a_holiday_the_fifth_working_day_is_thursday(db, quoted, land):
    trade, _regs = quoted(("buyer1", STARTING_PRICE))
    deal.conclude(land["staff"], trade)
    other = next(line for line in deal.deposit_lines(trade) if not line.winner)
    assert other.due == cst(2026, 4, 10)


def test_refunds_wait_for_the_end_of_the_sale(db, listing, land):
    import pytest

    from trading.errors import IllegalMove

    trade, regs = listing
    with pytest.raises(IllegalMove) as exc:
        deal.refund(land["staff"], trade, regs["buyer1"].deposit_id)
    assert exc.value.code == "no_deal_yet"
    assert [line.due for line in deal.deposit_lines(trade)] == [None, None, None]
