"""Inquiry (询价) from the plan to the contract: one sealed quote each (GPL 40), the ceremony, the committee's
pass/fail review, the lowest compliant price, the award and the contract; fewer than three quotes fail."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from bidding.award import services as award
from procurement.results import services as results
from bidding.evaluation import review, services as evaluation
from bidding.evaluation.models import SeatKind
from bidding.scoring import services as scoring
from procurement.plans import services as plans
from tests.bidding.ceremony.test_ceremony import _envelope, _open
from tests.conftest import CST, START, api_headers, tender_timeline
from bidding.crypto.envelope_check import content_digest
from trading.errors import IllegalMove, InvalidInput
from trading.rules.days import load_calendar
from trading.trades import services as trades
from trading.trades.flows import TradeState

SECOND = timedelta(seconds=1)


def _inquiry(db, client, users, gp_trade, plan, price="100000.00", **timeline):
    """An inquiry drawn on the plan's goods line, keyholders named, approved and published; open for quotes."""
    trade = gp_trade("gp_inquiry", price, paper_bids=False, **(timeline or tender_timeline(START, days=10)))
    plans.draw(users["tenderer"], trade, plan.lines[0].id)
    db.session.commit()
    response = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                           json={"execute": [users["staff"].id, users["staff2"].id],
                                 "supervise": [users["supervisor"].id]})
    assert response.status_code == 201, response.get_json()
    trades.move(trade, "submit", users["staff_proc"])
    trades.move(trade, "approve", users["decider"])
    trades.move(trade, "publish", users["staff_proc"])
    db.session.commit()
    assert trade.state is TradeState.BIDDING
    return trade


def _quote(client, trade, users, who, price):
    data = _envelope(client, trade, users[who].organisation.credit_code, price)
    return client.post(f"/api/v1/trades/{trade.id}/bids", data=data, content_type="application/octet-stream",
                       headers={**api_headers(client, who), "Content-Digest": content_digest(data)})


def test_the_inquiry_period_is_three_working_days_at_its_boundary(db, users, gp_trade):
    """O74 Art. 45 (GPL 40): at least 3 working days from the notice to the quotes' deadline; the start day is not
    counted, and the deadline may fall any time on the last day (dates are compared)."""
    from procurement.rulesets import GP_INQUIRY

    rule = next(r for r in GP_INQUIRY.rules if r.code == "gp.negotiation_period")
    last = rule.last_day(START, load_calendar())
    assert last == date(2026, 3, 5)  # Monday 2 March: Tuesday, Wednesday, Thursday
    at = datetime.combine(last, time(9, 0), tzinfo=CST)
    ok = gp_trade("gp_inquiry", issue_at=START, docs_until=at, bid_deadline=at, opening_at=at)
    trades.move(ok, "submit", users["staff_proc"])
    short = at - timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        gp_trade("gp_inquiry", issue_at=START, docs_until=short, bid_deadline=short, opening_at=short)
    assert "第74号" in str(refused.value.errors)


def test_one_quote_each_and_never_a_second(db, client, proc_keyholding, suppliers, gp_trade, plan, clock):
    trade = _inquiry(db, client, suppliers, gp_trade, plan)
    clock.freeze(trade.bid_deadline - timedelta(days=1))
    assert _quote(client, trade, suppliers, "bidder", "90000.00").status_code == 201
    again = _quote(client, trade, suppliers, "bidder", "85000.00")
    assert again.status_code == 409
    body = again.get_json()
    assert body["code"] == "not_eligible" and "第40条" in body["message"] and "第74号" in body["message"]
    # withdrawing and quoting again is changing the price too
    assert client.delete(f"/api/v1/trades/{trade.id}/bids", headers=api_headers(client, "bidder")).status_code == 200
    assert _quote(client, trade, suppliers, "bidder", "80000.00").status_code == 409
    assert _quote(client, trade, suppliers, "bidder_b", "95000.00").status_code == 201  # others quote as before


def test_two_quotes_fail_at_the_opening(db, client, proc_keyholding, suppliers, gp_trade, plan, clock):
    trade = _inquiry(db, client, suppliers, gp_trade, plan)
    clock.freeze(trade.bid_deadline - timedelta(days=1))
    for who, price in (("bidder", "90000.00"), ("bidder_b", "95000.00")):
        assert _quote(client, trade, suppliers, who, price).status_code == 201
    result = _open(client, trade, clock)
    db.session.expire_all()
    assert result["outcome"] == "too_few" and trade.state is TradeState.FAILED


def test_inquiry_from_the_plan_to_the_contract_lowest_compliant_price(db, client, proc_keyholding, suppliers,
                                                                      gp_trade, plan, clock):
    """Three quotes (the minimum) open; the committee fails the cheapest on compliance; the lowest compliant price
    is rank one, wins, and the contract at that price leaves the saving on the plan."""
    trade = _inquiry(db, client, suppliers, gp_trade, plan)
    clock.freeze(trade.bid_deadline - timedelta(days=1))
    prices = {"bidder": "88000.00", "bidder_b": "91500.50", "bidder_c": "93000.00"}
    for who, price in prices.items():
        assert _quote(client, trade, suppliers, who, price).status_code == 201
    assert _open(client, trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    staff = suppliers["staff"]
    trades.move(trade, "start_evaluation", staff)
    evaluation.seat_member(staff, trade, suppliers["expert"], SeatKind.EXPERT)
    db.session.commit()
    cheapest = next(e for e in review.entries(trade) if e.organisation_id == suppliers["bidder"].organisation_id)
    review.record_marks(suppliers["expert"], trade, cheapest.id,
                        [{"criterion": "C4", "passed": False, "reason": "交货期不满足询价通知书要求"}])
    scoring.set_plan(staff, trade, {"method": "lowest_evaluated_price", "subject": "goods"})
    with pytest.raises(IllegalMove) as fixed:  # the price quoted once is the price ranked (GPL 40)
        scoring.adjust_price(suppliers["expert"], trade, cheapest.id, "5000.00", "交货期延长折算")
    assert fixed.value.code == "not_adjustable"
    scoring.submit_sheet(suppliers["expert"], trade)
    db.session.commit()
    ranking = scoring.final_ranking(trade)
    assert [(r.rank, r.price) for r in ranking] == [(1, Decimal("91500.50")), (2, Decimal("93000.00"))]
    trades.move(trade, "publicize", staff)
    db.session.commit()
    decision = results.decide(suppliers["tenderer"], trade).award  # the purchaser decides (O87 68)
    db.session.commit()
    assert decision.organisation_id == suppliers["bidder_b"].organisation_id
    assert decision.price == Decimal("91500.50")
    award.record_contract(staff, trade, "91500.50", "0.00", clock.now(),
                          "contract.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 contract"))
    db.session.commit()
    assert trade.state is TradeState.CONTRACTED
    from procurement.plans.savings import savings

    row = savings(suppliers["tenderer"], "project")["rows"][0]
    assert row["budget"] == Decimal("100000.00") and row["contract"] == Decimal("91500.50")
    assert row["saving"] == Decimal("8499.50")


def test_equal_lowest_prices_share_rank_one(db, client, proc_keyholding, suppliers, gp_trade, plan, clock):
    trade = _inquiry(db, client, suppliers, gp_trade, plan)
    clock.freeze(trade.bid_deadline - timedelta(days=1))
    for who, price in (("bidder", "90000.00"), ("bidder_b", "90000.00"), ("bidder_c", "99000.00")):
        assert _quote(client, trade, suppliers, who, price).status_code == 201
    assert _open(client, trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    staff = suppliers["staff"]
    trades.move(trade, "start_evaluation", staff)
    evaluation.seat_member(staff, trade, suppliers["expert"], SeatKind.EXPERT)
    scoring.set_plan(staff, trade, {"method": "lowest_evaluated_price", "subject": "goods"})
    scoring.submit_sheet(suppliers["expert"], trade)
    db.session.commit()
    assert [r.rank for r in scoring.final_ranking(trade)] == [1, 1, 3]
