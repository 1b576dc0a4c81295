"""A land tender sells (O39 Art. 13): its sealed offers rank by the highest price, or by a comprehensive total
whose price score gives the highest offer the full weight. Hand-computed examples of the formulas and the ranks,
and the rule set's methods as data."""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from bidding.scoring import methods as m, services as scoring
from tests.conftest import START
from trading.errors import InvalidInput
from trading.rules.model import registry


def test_highest_price_ranks_the_highest_first_and_equal_prices_share_a_rank():
    prices = {"A": D("52000000"), "B": D("61500000"), "C": D("61500000"), "D": D("48000000")}
    order = m.rank(sorted(prices), m.by_highest_price(prices))
    assert order == [(1, "B"), (1, "C"), (3, "A"), (4, "D")]


def test_lowest_price_order_is_unchanged_for_purchases():
    """The buyer's methods still rank the lowest first (O87 Art. 54): the land method did not turn them."""
    prices = {"A": D(100), "B": D(90)}
    assert m.rank(sorted(prices), m.by_evaluated_price(prices, prices)) == [(1, "B"), (2, "A")]


def test_highest_price_scores_by_hand():
    prices = {"A": D("50000000"), "B": D("40000000"), "C": D("62500000"), "D": D("60000000")}
    # 50/62.5*40 = 32; 40/62.5*40 = 25.6; the highest gets the whole weight; 60/62.5*40 = 38.4
    assert m.highest_price_scores(prices, D(40)) == {"A": D("32.00"), "B": D("25.60"), "C": D("40.00"),
                                                     "D": D("38.40")}
    # 1/8 * 5 = 0.625 exactly: half up gives 0.63
    assert m.highest_price_scores({"A": D(1), "B": D(8)}, D(5))["A"] == D("0.63")
    assert m.highest_price_scores({"A": None, "B": D(10)}, D(30)) == {"B": D("30.00")}
    with pytest.raises(ValueError):
        m.highest_price_scores({"A": D(0)}, D(30))


def test_comprehensive_totals_tie_to_the_higher_price():
    totals = {"A": D("88.50"), "B": D("88.50"), "C": D("90.00"), "D": D("70.00"), "E": D("70.00")}
    prices = {"A": D(100), "B": D(120), "C": D(90), "D": D(80), "E": D(80)}
    order = m.rank(sorted(totals), m.by_total_highest_price(totals, prices))
    assert order == [(1, "C"), (2, "B"), (3, "A"), (4, "D"), (4, "E")]


def test_the_land_tender_rule_set_offers_the_selling_methods_only():
    land, works = registry.get("land_tender"), registry.get("works_open_tender")
    assert [s.key for s in land.scoring] == ["highest_price", "comprehensive_highest"]
    assert "39" in str(land.scoring_method("highest_price").source)
    assert not land.scoring_method("highest_price").scores and land.scoring_method("comprehensive_highest").scores
    assert works.scoring_method("highest_price") is None and land.scoring_method("lowest_evaluated_price") is None


@pytest.fixture
def land_tender(db, make_trade, centres, make_user):
    from trading.accounts.roles import Role

    staff = make_user("land_tender_staff", (Role.CENTRE_STAFF, "LAND"))
    issue = START
    trade = make_trade(actor=staff, centre_id=centres["LAND"].id, method="land_tender", title="Plot T-3",
                       estimated_price=D("30000000.00"), bid_security=None, issue_at=issue, docs_until=None,
                       bid_deadline=issue.replace(day=issue.day + 21), opening_at=issue.replace(day=issue.day + 21))
    return trade, staff


def test_a_land_tender_plan_takes_the_highest_price_method(db, land_tender):
    trade, staff = land_tender
    plan = scoring.set_plan(staff, trade, {"method": "highest_price", "subject": "land"})
    assert (plan.method, plan.price_weight, plan.criteria) == ("highest_price", None, [])
    with pytest.raises(InvalidInput) as exc:
        scoring.set_plan(staff, trade, {"method": "highest_price", "subject": "land",
                                        "criteria": [{"name": "Design", "max_points": "10"}]})
    assert "criteria" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        scoring.set_plan(staff, trade, {"method": "lowest_evaluated_price", "subject": "land"})
    assert "highest_price" in exc.value.errors["method"][0]
    with pytest.raises(InvalidInput) as exc:
        scoring.set_plan(staff, trade, {"method": "highest_price", "subject": "works"})
    assert list(exc.value.errors) == ["subject"] and "land" in exc.value.errors["subject"][0]
    plan = scoring.set_plan(staff, trade, {"method": "comprehensive_highest", "subject": "land", "price_weight": "60",
                                           "criteria": [{"name": "Development plan", "max_points": "40"}]})
    assert (plan.method, plan.price_weight) == ("comprehensive_highest", D(60))
