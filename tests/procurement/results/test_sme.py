"""The SME price deduction (财库〔2020〕46号 Art. 9) as a user sees it: the evaluated price and the rank change,
the contract stays at the bid price; the terms' range, the declaration's deadline, the plan's reserved share."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from bidding.award import services as award
from bidding.scoring.services import final_ranking
from procurement.results import sme
from tests.procurement.results.conftest import DECLARATION, open_and_score
from trading.errors import IllegalMove, InvalidInput

D = Decimal


def _ranking(trade, people):
    names = {people[w].organisation_id: w for w in ("bidder", "bidder_b", "bidder_c")}
    return [(r.rank, names[r.organisation_id], r.price, r.evaluated_price) for r in final_ranking(trade)]


def test_without_a_declaration_the_lowest_bid_ranks_first(db, client, gp_bidding, proc_people, clock):
    open_and_score(db, client, gp_bidding, proc_people, clock, declare=())
    assert _ranking(gp_bidding, proc_people) == [
        (1, "bidder_b", D("4700000.50"), D("4700000.50")),
        (2, "bidder", D("4815000.00"), D("4815000.00")),
        (3, "bidder_c", D("4999999.99"), D("4999999.99")),
    ]


def test_a_declared_small_enterprise_is_evaluated_at_its_deducted_price_and_wins(db, client, gp_bidding,
                                                                                 proc_people, clock):
    open_and_score(db, client, gp_bidding, proc_people, clock)  # bidder_c declared small; goods: 10%
    # 4,999,999.99 x (1 - 10%) = 4,499,999.991 -> 4,499,999.99 (to the fen, half up): below 4,700,000.50
    assert _ranking(gp_bidding, proc_people) == [
        (1, "bidder_c", D("4999999.99"), D("4499999.99")),
        (2, "bidder_b", D("4700000.50"), D("4700000.50")),
        (3, "bidder", D("4815000.00"), D("4815000.00")),
    ]
    from trading.trades import services as trades

    trades.move(gp_bidding, "publicize", proc_people["staff"])
    first = award.current_list(gp_bidding).candidates[0]
    assert (first.price, first.evaluated_price) == (D("4999999.99"), D("4499999.99"))
    decision = award.award(proc_people["staff"], gp_bidding)
    assert decision.price == D("4999999.99")  # the contract is at the bid price, not the evaluated one


def test_the_deduction_must_lie_in_the_category_range(db, gp_trade, users):
    trade = gp_trade("gp_open_tender", "500000.00")
    with force_locale("en"), pytest.raises(InvalidInput) as low:
        sme.set_policy(users["tenderer"], trade, {"category": "goods", "deduction": "9.99"})
    assert "from 10% to 20%" in low.value.errors["deduction"][0] and "Circular 46" in low.value.errors["deduction"][0]
    with pytest.raises(InvalidInput):
        sme.set_policy(users["tenderer"], trade, {"category": "works", "deduction": "6.01"})
    assert sme.set_policy(users["tenderer"], trade, {"category": "goods", "deduction": "20"}).deduction == D(20)
    assert sme.set_policy(users["tenderer"], trade, {"category": "works", "deduction": "4"}).deduction == D(4)
    with pytest.raises(InvalidInput) as bad:
        sme.set_policy(users["tenderer"], trade, {"category": "food", "deduction": "10"})
    assert "category" in bad.value.errors


def test_a_declaration_is_made_before_the_deadline_only(db, gp_bidding, proc_people, clock):
    clock.freeze(gp_bidding.bid_deadline - __import__("datetime").timedelta(seconds=1))
    row = sme.declare(proc_people["bidder"], gp_bidding, DECLARATION)
    assert "小型企业" in row.text and "从业人员45人" in row.text and gp_bidding.ref in row.text
    clock.freeze(gp_bidding.bid_deadline)
    with pytest.raises(IllegalMove) as late:
        sme.declare(proc_people["bidder_b"], gp_bidding, DECLARATION)
    assert late.value.code == "not_bidding"
    with pytest.raises(IllegalMove):
        sme.set_policy(proc_people["tenderer"], gp_bidding, {"category": "goods", "deduction": "20"})


def test_the_plans_reserved_share(db, client, plan, gp_trade, users):
    from procurement.plans import services as plans
    from tests.conftest import api_headers

    reserved = gp_trade("gp_inquiry", "400000.00")
    other = gp_trade("gp_inquiry", "600000.00")
    plans.draw(users["tenderer"], reserved, plan.lines[0].id)
    plans.draw(users["tenderer"], other, plan.lines[0].id)
    sme.set_policy(users["tenderer"], reserved, {"category": "goods", "deduction": "10", "reserved": True})
    db.session.commit()
    got = client.get(f"/api/v1/procurement/plans/{plan.id}/sme-share", headers=api_headers(client, "tenderer"))
    assert got.status_code == 200
    body = got.get_json()
    # 400,000 of 1,000,000 drawn: 40.00%, exactly the 40% asked (以上 includes the number)
    assert (body["drawn"], body["reserved"], body["share"], body["required"], body["met"]) == (
        "1000000.00", "400000.00", "40.00", "40", True)
    sme.set_policy(users["tenderer"], reserved, {"category": "goods", "deduction": "10", "reserved": False})
    db.session.commit()
    assert client.get(f"/api/v1/procurement/plans/{plan.id}/sme-share",
                      headers=api_headers(client, "tenderer")).get_json()["met"] is False
