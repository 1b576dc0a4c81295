"""The committee's composition against the rule sets (RULES.md): works Law 37 / Reg 46 (>= 5, odd, experts
>= 2/3 with the tenderer's representatives counted as members); procurement O87 47-48 (>= 7 from a budget of
10 million yuan or for a complex project); consultation and negotiation panels >= 3. Each boundary is tested
on both sides, and a refused plan leaves nothing behind."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from bidding.experts import composition, services as experts
from tests.bidding.experts.helpers import plan, pool, run_draw  # noqa: F401  (pool: fixture)
from tests.conftest import api_headers


def _trade(method: str, price: str = "5000000.00"):
    return SimpleNamespace(method=method, estimated_price=Decimal(price))


@pytest.mark.parametrize("experts_, reps, ok", [
    (5, 0, True), (4, 0, False),  # at least five
    (6, 0, False),  # odd
    (4, 1, True),  # 4 of 5 >= 2/3
    (3, 2, False),  # 3 of 5 < 2/3: too many representatives
    (5, 2, True),  # 5 of 7 >= 2/3
    (6, 3, True),  # 6 of 9 = 2/3 exactly ("以上" includes the number)
    (4, 3, False),  # 4 of 7 < 2/3
])
def test_works_committee(app, experts_, reps, ok):
    with app.test_request_context():
        errors = composition.check(_trade("works_open_tender"), experts_, reps, False)
    assert (errors == {}) is ok, errors


@pytest.mark.parametrize("price, complex_, size, ok", [
    ("9999999.99", False, 5, True),
    ("10000000.00", False, 5, False),  # from 10 million: seven or more
    ("10000000.00", False, 7, True),
    ("100000.00", True, 5, False),  # complex: seven or more whatever the budget
    ("100000.00", True, 7, True),
])
def test_procurement_committee(app, price, complex_, size, ok):
    with app.test_request_context():
        errors = composition.check(_trade("gp_open_tender", price), size, 0, complex_)
        if not ok:
            assert "财政部令第87号 第47-48条" in errors["size"][0]
    assert (errors == {}) is ok, errors


def test_panels_of_three_and_a_method_without_a_committee(app):
    with app.test_request_context():
        assert composition.check(_trade("gp_competitive_consultation"), 3, 0, False) == {}
        assert composition.check(_trade("gp_inquiry"), 2, 0, False) != {}
        assert "trade" in composition.check(_trade("gp_single_source"), 5, 0, False)


def test_a_refused_plan_names_the_field_and_rule_in_both_languages(db, client, users, published_trade):
    url = f"/api/v1/trades/{published_trade.id}/committee/plan"
    headers = api_headers(client, "staff")
    body = {"lines": [{"specialty": "A01", "count": 3}], "representatives": 2}
    zh = client.put(url, json=body, headers={**headers, "Accept-Language": "zh-CN"})
    assert zh.status_code == 422 and "representatives" in zh.get_json()["errors"]
    assert "招标投标法 第37条" in zh.get_json()["errors"]["representatives"][0]
    en = client.put(url, json=body, headers={**headers, "Accept-Language": "en"})
    assert "Tendering Law Art. 37" in en.get_json()["errors"]["representatives"][0]
    unknown = client.put(url, json={"lines": [{"specialty": "Z99", "count": 5}]}, headers=headers)
    assert unknown.status_code == 422 and "lines.0.specialty" in unknown.get_json()["errors"]
    assert experts.plan_of(published_trade) is None  # nothing kept of a refused plan
    assert client.put(url, json=body, headers=api_headers(client, "bidder")).status_code == 403
    fine = client.put(url, json={"lines": [{"specialty": "A01", "count": 4}], "representatives": 1}, headers=headers)
    assert fine.status_code == 200 and fine.get_json()["size"] == 5


def test_the_committee_is_complete_when_every_drawn_expert_confirmed(db, users, published_trade, pool,
                                                                     clock):  # noqa: F811
    trade = published_trade
    plan(db, users, trade, lines=(("A01", 4),), representatives=1)
    experts.draw(users["staff"], trade)
    db.session.commit()
    run_draw(db, clock, trade)
    assert experts.composition_now(trade)["complete"] is False
    for seat in experts.seats(trade):
        experts.confirm(seat.expert.user, trade, seat.id)
    db.session.commit()
    now_ = experts.composition_now(trade)
    assert now_["complete"] and now_["breaches"] == {} and now_["confirmed"] == 4

