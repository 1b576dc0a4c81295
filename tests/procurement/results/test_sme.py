"""The SME price deduction (财库〔2020〕46号 Art. 9) as a user sees it: the evaluated price and the rank change,
the contract stays at the bid price; the terms' range, the declaration's deadline, the plan's reserved share."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from bidding.award import services as award
from procurement.results import services as results
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
    decision = results.decide(proc_people["tenderer"], gp_bidding).award  # the purchaser decides (O87 68)
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
    # a cancelled trade gave its draw back (procurement/methods): it no longer counts in what the plan drew
    from trading.trades import services as trades

    sme.set_policy(users["tenderer"], reserved, {"category": "goods", "deduction": "10", "reserved": True})
    trades.move(other, "cancel", users["decider"], reason="the need went away")
    db.session.commit()
    body = client.get(f"/api/v1/procurement/plans/{plan.id}/sme-share",
                      headers=api_headers(client, "tenderer")).get_json()
    assert (body["drawn"], body["reserved"], body["share"]) == ("400000.00", "400000.00", "100.00")


def test_comprehensive_scoring_scores_the_deducted_price(db, client, gp_bidding, proc_people, clock):
    """O87 55 with 46号 Art. 9: the price score = lowest evaluated price / evaluated price x weight, the small
    enterprise's evaluated price being its deducted one. Equal technical points (50): the price decides."""
    from bidding.evaluation import services as evaluation
    from bidding.evaluation.models import SeatKind
    from bidding.evaluation.services import passed_bids
    from bidding.scoring import services as scoring
    from tests.bidding.ceremony.test_ceremony import _bid_all, _open
    from tests.procurement.results.conftest import GP_PRICES
    from trading.trades import services as trades

    sme.declare(proc_people["bidder_c"], gp_bidding, DECLARATION)
    db.session.commit()
    _bid_all(client, gp_bidding, proc_people, GP_PRICES)
    assert _open(client, gp_bidding, clock)["outcome"] == "opened"
    db.session.expire_all()
    trades.move(gp_bidding, "start_evaluation", proc_people["staff"])
    evaluation.seat_member(proc_people["staff"], gp_bidding, proc_people["expert"], SeatKind.EXPERT)
    plan = scoring.set_plan(proc_people["staff"], gp_bidding, {
        "method": "comprehensive", "subject": "goods", "price_weight": "30",
        "criteria": [{"name": "技术", "max_points": "70"}]})
    (tech,) = plan.criteria
    scoring.submit_sheet(proc_people["expert"], gp_bidding, [
        {"entry_id": e.id, "criterion_id": tech.id, "points": "50"} for e in passed_bids(gp_bidding)])
    db.session.commit()
    names = {proc_people[w].organisation_id: w for w in ("bidder", "bidder_b", "bidder_c")}
    from bidding.scoring.ranking import results

    rows = [(r.rank, names[r.entry.organisation_id], r.evaluated_price, r.price_score, r.total)
            for r in results(gp_bidding).rows]
    # lowest evaluated 4,499,999.99: c 30.00; b 4,499,999.99 / 4,700,000.50 x 30 = 28.72; a / 4,815,000.00 = 28.04
    assert rows == [(1, "bidder_c", D("4499999.99"), D("30.00"), D("80.00")),
                    (2, "bidder_b", None, D("28.72"), D("78.72")),
                    (3, "bidder", None, D("28.04"), D("78.04"))]
