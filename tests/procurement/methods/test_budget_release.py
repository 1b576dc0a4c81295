"""A trade that ends gives its draw back by a conditional UPDATE (`drawn >= the draw`); when the line shows less
drawn than the draw (its books disagree), the move is refused with a clear 409 and nothing is recorded."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procurement.methods import budget
from procurement.methods.models import BudgetRelease
from procurement.plans import services as plans
from procurement.plans.models import BudgetLine
from tests.conftest import START, api_headers, tender_timeline
from tests.procurement.methods.test_invitees import to_bidding
from trading.errors import IllegalMove
from trading.trades import services as trades
from trading.trades.flows import TradeState


def _lower_drawn(db, line_id: int, drawn: str) -> None:
    """The inconsistent state, made directly in the table: the line shows less drawn than a trade drew."""
    db.session.execute(sa.update(BudgetLine).where(BudgetLine.id == line_id).values(drawn=Decimal(drawn)))
    db.session.commit()
    db.session.expire_all()


def _releases(db, trade) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(BudgetRelease)
                             .where(BudgetRelease.trade_id == trade.id))


@pytest.mark.parametrize("language, words", [("zh-CN", "预算"), ("en", "books disagree")])
def test_cancelling_a_draft_whose_line_shows_less_drawn_is_a_409_and_records_nothing(client, db, plan, gp_trade,
                                                                                       users, language, words):
    line_id = plan.lines[1].id
    trade = gp_trade("gp_open_tender", "2500000.00")
    plans.draw(users["tenderer"], trade, line_id)
    db.session.commit()
    _lower_drawn(db, line_id, "1000.00")
    headers = {**api_headers(client, "decider"), "Accept-Language": language}
    response = client.post(f"/api/v1/trades/{trade.id}/transitions", json={"move": "cancel", "reason": "not needed"},
                           headers=headers)
    assert response.status_code == 409, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "budget_books_disagree"
    assert words in body["message"] and "¥2,500,000.00" in body["message"]
    db.session.expire_all()
    assert _releases(db, trade) == 0 and budget.release_of(trade) is None
    assert db.session.get(BudgetLine, line_id).drawn == Decimal("1000.00")  # unchanged
    assert db.session.get(type(trade), trade.id).state is TradeState.DRAFT  # the move did not happen


def test_a_failing_tender_on_such_a_line_is_refused_by_name_and_a_consistent_one_gives_back(db, plan, gp_trade,
                                                                                          users, clock):
    line_id = plan.lines[0].id
    trade = gp_trade("gp_open_tender", "400000.00", **tender_timeline(START + timedelta(days=1)))
    plans.draw(users["tenderer"], trade, line_id)
    db.session.commit()
    to_bidding(db, trade, users, clock)
    clock.freeze(trade.bid_deadline)
    trades.advance_trade(trade)
    db.session.commit()
    _lower_drawn(db, line_id, "399999.99")  # one fen short of the draw
    with pytest.raises(IllegalMove) as exc:
        trades.move(trade, "fail", users["staff_proc"], reason="two bids")
    assert exc.value.code == "budget_books_disagree"
    db.session.rollback()
    assert _releases(db, trade) == 0 and db.session.get(BudgetLine, line_id).drawn == Decimal("399999.99")
    _lower_drawn(db, line_id, "400000.00")  # the books agree again: the draw goes back
    trades.move(trade, "fail", users["staff_proc"], reason="two bids")
    db.session.commit()
    assert _releases(db, trade) == 1 and db.session.get(BudgetLine, line_id).drawn == Decimal("0.00")
