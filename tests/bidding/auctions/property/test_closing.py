"""The disclosure's end: two or more qualified transferees bid in the live round, exactly one takes a
negotiated transfer at not less than the reserve (the offer the deal reads), none: extend or end without a
deal. Then the result is public ≥ 5 working days before the trade is closed (O32 Art 29, a red card)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bidding.auctions import services as auctions
from bidding.auctions.outcome import best_offer
from bidding.auctions.property import closing
from bidding.deposits.services import record_deposit
from tests.bidding.auctions.conftest import APPRAISED, ISSUE, PROP_CLOSE
from tests.bidding.award.helpers import cards, check
from tests.conftest import CST
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db as _db
from trading.notices.models import Notice, NoticeKind
from trading.trades import services as trades
from trading.trades.flows import TradeState

FEN = Decimal("0.01")
NORM = "property.result_publicity"


def qualify(prop, trade, *who: str) -> list:
    """Register each buyer's company, record its deposit with the paying account, qualify it (PROP staff)."""
    regs = []
    for name in who:
        user = prop[name]
        reg = auctions.register(user, trade)
        deposit = record_deposit(prop["staff"], trade, user.organisation_id, trade.bid_security,
                                 payer_account=f"6222 1111 {user.id:04d}")
        regs.append(auctions.qualify(prop["staff"], reg, deposit))
    _db.session.commit()
    return regs


def _at_deadline(clock):
    clock.freeze(PROP_CLOSE)
    trades.advance_due()  # the tick: the disclosure (listing stage) started at its issue time


def test_two_qualified_transferees_go_to_the_live_round(db, property_sale, prop, clock):
    clock.freeze(ISSUE + timedelta(hours=1))
    qualify(prop, property_sale, "buyer1", "buyer2")
    trades.advance_due()
    assert closing.path_of(property_sale) == closing.RUNNING
    with pytest.raises(IllegalMove) as exc:
        closing.start_competition(prop["staff"], property_sale)
    assert exc.value.code == "disclosure_running"
    _at_deadline(clock)
    assert closing.path_of(property_sale) == closing.COMPETITIVE
    with pytest.raises(IllegalMove) as exc:
        closing.record_negotiated(prop["staff"], property_sale, APPRAISED)
    assert exc.value.code == "path_competitive"
    rnd = closing.start_competition(prop["staff"], property_sale)
    db.session.commit()
    assert property_sale.state is TradeState.TIMED_BIDDING
    # both qualified transferees are in the live round, quoted or not, and it is open for bids
    assert rnd.kind == "auction" and rnd.state.value == "open" and rnd.price == APPRAISED


def test_one_transferee_takes_a_negotiated_transfer_at_not_less_than_the_reserve(db, property_sale, prop, clock):
    clock.freeze(ISSUE + timedelta(hours=1))
    (reg,) = qualify(prop, property_sale, "buyer1")
    _at_deadline(clock)
    assert closing.path_of(property_sale) == closing.NEGOTIATED
    with pytest.raises(IllegalMove) as exc:
        closing.start_competition(prop["staff"], property_sale)
    assert exc.value.code == "path_negotiated"
    with pytest.raises(InvalidInput) as exc:
        closing.record_negotiated(prop["staff"], property_sale, APPRAISED - FEN)
    assert "price" in exc.value.errors and "10,000,000.00" in exc.value.errors["price"][0]
    assert closing.negotiated_of(property_sale) is None
    row = closing.record_negotiated(prop["staff"], property_sale, APPRAISED)
    db.session.commit()
    assert (row.price, row.reserve, row.paddle) == (APPRAISED, APPRAISED, reg.paddle)
    offer = best_offer(property_sale)
    assert (offer.basis, offer.amount, offer.registration_id, offer.paddle) == ("negotiated", APPRAISED, reg.id,
                                                                                reg.paddle)
    with pytest.raises(IllegalMove):
        closing.record_negotiated(prop["staff"], property_sale, APPRAISED + 1)


def test_no_transferee_extends_the_disclosure_or_ends_without_a_deal(db, property_sale, prop, clock):
    _at_deadline(clock)
    trades.advance_due()
    assert closing.path_of(property_sale) == closing.NONE
    new_deadline = PROP_CLOSE + timedelta(days=14)
    with pytest.raises(InvalidInput) as exc:
        closing.extend_disclosure(prop["staff"], property_sale, new_deadline, "")
    assert "reason" in exc.value.errors
    row = closing.extend_disclosure(prop["staff"], property_sale, new_deadline, "no buyer yet")
    db.session.commit()
    assert property_sale.bid_deadline == new_deadline and row.old_deadline == PROP_CLOSE
    assert db.session.get(Notice, row.notice_id).kind is NoticeKind.REDISCLOSURE
    assert closing.path_of(property_sale) == closing.RUNNING
    clock.freeze(new_deadline)
    closing.end_without_deal(prop["staff"], property_sale)
    db.session.commit()
    assert property_sale.state is TradeState.NO_DEAL


def _concluded_with_result(db, property_sale, prop, clock):
    """One transferee, the negotiated price, and the deal's conclusion, which publishes the result."""
    from bidding.auctions.deal.conclusion import conclude

    clock.freeze(ISSUE + timedelta(hours=1))
    qualify(prop, property_sale, "buyer1")
    _at_deadline(clock)
    closing.record_negotiated(prop["staff"], property_sale, APPRAISED)
    deal = conclude(prop["staff"], property_sale)
    db.session.commit()
    assert (deal.basis, deal.price) == ("negotiated", APPRAISED)
    result = db.session.scalar(sa.select(Notice).where(Notice.trade_id == property_sale.id,
                                                       Notice.kind == NoticeKind.RESULT))
    assert result.published_at == PROP_CLOSE


#: the result out Tue 31 March 09:00; 5 working days: 1, 2, 3, 6, 7 April; closing from Wed 8 April 00:00
EARLIEST_CLOSE = datetime(2026, 4, 8, 0, 0, tzinfo=CST)


@pytest.mark.parametrize("archived_at, carded", [(EARLIEST_CLOSE - timedelta(seconds=1), True),
                                                 (EARLIEST_CLOSE, False)])
def test_the_result_is_public_5_working_days_before_the_trade_closes(db, property_sale, prop, clock,
                                                                       archived_at, carded):
    _concluded_with_result(db, property_sale, prop, clock)
    clock.freeze(archived_at)
    trades.move(property_sale, "archive", prop["staff"])
    db.session.commit()
    check(db, property_sale, archived_at + timedelta(hours=1))
    found = cards(db, property_sale, NORM)
    assert bool(found) is carded
    if carded:
        assert found[0].level.value == "red"
