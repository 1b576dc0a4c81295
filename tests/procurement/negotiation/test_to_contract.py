"""Competitive negotiation and competitive consultation from the plan's budget line to the contract: the draw,
the panel's rounds and the call, the final quotes opened from released shares, the result (lowest final price;
C214 comprehensive scoring), the purchaser's decision (O87 68), the contract at the final price, and the
saving the plan reads back (budget minus contract)."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from bidding.award import services as award
from bidding.evaluation.services import passed_bids
from bidding.scoring import services as scoring
from procurement.plans import services as plans
from procurement.results import services as results
from tests.conftest import api_headers
from tests.procurement.negotiation.conftest import org
from tests.procurement.negotiation.test_final_quotes import FINALS, _opened, _start_and_call, _submit_sheets
from trading.trades import services as trades
from trading.trades.flows import TradeState

BUDGET = Decimal("1200000.00")


def _drawn(db, cast, trade):
    """The purchaser's plan at the trade's centre, one line of 1,200,000.00, the trade's draw on it."""
    plan = plans.create_plan(cast["tenderer"], {"centre_id": trade.centre_id, "year": 2026, "title": "2026 plan"})
    line = plans.add_line(cast["tenderer"], plan, {"fund_source": "general_budget", "category_code": "A02010104",
                                                   "description": "交互式电子白板", "amount": BUDGET})
    plans.take_budget(cast["staff_proc"], trade, line, trade.created_at)
    db.session.commit()
    assert line.left == BUDGET - trade.estimated_price
    return line


def _to_contract(db, client, cast, trade, clock) -> Decimal:
    """Candidates published, the purchaser confirms rank one within the period, the contract is signed."""
    trades.move(trade, "publicize", cast["staff_proc"])
    db.session.commit()
    confirmed = results.decide(cast["tenderer"], trade)
    db.session.commit()
    assert trade.state is TradeState.AWARDED and not confirmed.by_platform
    decision = award.decision_of(trade)
    clock.freeze(decision.decided_at + timedelta(days=3))
    award.record_contract(cast["staff_proc"], trade, decision.price, "0", decision.decided_at + timedelta(days=2),
                          "合同.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 signed contract"))
    db.session.commit()
    assert trade.state is TradeState.CONTRACTED
    return decision.price


def _saving(client, trade) -> dict:
    rows = client.get("/api/v1/procurement/savings?group=project",
                      headers=api_headers(client, "tenderer")).get_json()["rows"]
    (row,) = [r for r in rows if r["key"] == trade.ref]
    return row


def test_a_competitive_negotiation_from_the_plan_to_the_contract(db, client, cast, negotiating, clock):
    trade = negotiating
    line = _drawn(db, cast, trade)
    scoring.set_plan(cast["staff_proc"], trade, {"method": "lowest_evaluated_price", "subject": "goods"})
    _start_and_call(db, cast, trade)
    _submit_sheets(cast, trade)
    db.session.commit()
    _opened(db, client, cast, trade, clock)
    price = _to_contract(db, client, cast, trade, clock)
    # the lowest final quote (sup_c's 920,000.00), not the lowest opened response (sup_b's 950,000.00)
    assert price == Decimal(FINALS["sup_c"]) and award.decision_of(trade).organisation_id == org(cast, "sup_c")
    db.session.refresh(line)
    assert line.left == BUDGET - trade.estimated_price  # a contracted trade keeps its draw
    row = _saving(client, trade)
    assert (row["budget"], row["contract"]) == (str(trade.estimated_price), FINALS["sup_c"])
    assert Decimal(row["saving"]) == trade.estimated_price - price


def test_a_competitive_consultation_from_the_plan_to_the_contract(db, client, cast, consulting, clock):
    trade = consulting
    _drawn(db, cast, trade)
    plan = scoring.set_plan(cast["staff_proc"], trade, {"method": "comprehensive", "subject": "goods",
                                                        "price_weight": "30", "criteria": [
                                                            {"name": "技术方案", "max_points": "70"}]})
    _start_and_call(db, cast, trade)
    tech = {org(cast, "sup_a"): "70", org(cast, "sup_b"): "60", org(cast, "sup_c"): "50"}
    entries = passed_bids(trade)
    _submit_sheets(cast, trade, lambda _name: [{"entry_id": e.id, "criterion_id": plan.criteria[0].id,
                                                "points": tech[e.organisation_id]} for e in entries])
    db.session.commit()
    _opened(db, client, cast, trade, clock)
    price = _to_contract(db, client, cast, trade, clock)
    # the best score (sup_a: 70 + 920000/930000 x 30 = 99.68) wins at its own final quote, not the lowest one
    assert price == Decimal(FINALS["sup_a"]) and award.decision_of(trade).organisation_id == org(cast, "sup_a")
    row = _saving(client, trade)
    assert Decimal(row["saving"]) == trade.estimated_price - Decimal(FINALS["sup_a"])
