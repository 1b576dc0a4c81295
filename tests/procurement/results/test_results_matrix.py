"""Every results API route × caller: anonymous (401), a wrong role or another organisation (403 or 404), the
right one (its answer, or a 409 naming the stage when the scene's trade is not there yet: the permission passed)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import api_headers
from trading.trades import services as trades


@dataclass
class Case:
    method: str
    path: str  # {trade} (a procurement draft), {bidding} (one open for bids), {plan}
    right: str
    wrong: tuple[str, ...]
    json: dict | None = None
    ok: int = 200


CASES = [
    Case("GET", "/api/v1/trades/{trade}/procurement-results", "tenderer", ("other_tenderer", "bidder", "staff")),
    Case("GET", "/api/v1/trades/{trade}/procurement-results", "staff_proc", ("expert", "public")),
    Case("PUT", "/api/v1/trades/{trade}/sme-policy", "tenderer", ("other_tenderer", "bidder", "decider", "staff"),
         json={"category": "goods", "deduction": "10", "reserved": True}),
    Case("POST", "/api/v1/trades/{bidding}/sme-declaration", "bidder", ("tenderer", "staff_proc", "expert", "public"),
         json={"size": "micro", "industry": "retail", "employees": 6, "revenue": "900000.00"}, ok=201),
    Case("POST", "/api/v1/trades/{trade}/award-decision", "tenderer", ("staff_proc", "bidder", "other_tenderer"),
         json={}, ok=409),
    Case("POST", "/api/v1/trades/{trade}/delivery", "tenderer", ("staff_proc", "bidder", "other_tenderer"),
         json={"delivered_at": "2026-03-02T09:00:00+08:00", "note": "交付"}, ok=409),
    Case("POST", "/api/v1/trades/{trade}/acceptance", "tenderer", ("staff_proc", "bidder", "other_tenderer"),
         json={"passed": True, "report": "合格"}, ok=409),
    Case("GET", "/api/v1/procurement/plans/{plan}/sme-share", "tenderer", ("other_tenderer", "bidder", "staff")),
]


@pytest.fixture
def scene(db, plan, gp_trade, users, clock):
    bidding = gp_trade("gp_open_tender", "500000.00")
    for name, who in (("submit", "staff_proc"), ("approve", "decider"), ("publish", "staff_proc")):
        trades.move(bidding, name, users[who])
    clock.freeze(bidding.issue_at)
    trades.advance_due()  # open for bids
    db.session.commit()
    return {"plan": plan.id, "trade": gp_trade("gp_open_tender", "100000.00").id, "bidding": bidding.id}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path} {c.right}")
def test_results_route_matrix(client, users, scene, case):
    path = case.path.format(**scene)
    anonymous = client.open(path, method=case.method, json=case.json)
    assert anonymous.status_code == 401, (path, anonymous.get_json())
    for who in case.wrong:
        response = client.open(path, method=case.method, json=case.json, headers=api_headers(client, who))
        assert response.status_code in (403, 404), (who, path, response.status_code)
    right = client.open(path, method=case.method, json=case.json, headers=api_headers(client, case.right))
    assert right.status_code == case.ok, (path, right.get_json())


def test_the_public_result_is_public_once_the_trade_is(client, scene):
    assert client.get(f"/api/v1/trades/{scene['trade']}/procurement-result").status_code == 401  # a draft
    got = client.get(f"/api/v1/trades/{scene['bidding']}/procurement-result")
    assert got.status_code == 200 and got.get_json() == {"trade_id": scene["bidding"], "announcement": None,
                                                         "contract": None, "sme_policy": None}


def test_a_works_trade_has_no_procurement_results(client, make_trade):
    works = make_trade()
    got = client.get(f"/api/v1/trades/{works.id}/procurement-results", headers=api_headers(client, "tenderer"))
    assert got.status_code in (403, 404)



@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_declaration_page_matrix(app, db, users, scene, method):
    """The SME declaration page: anonymous to sign in; the purchaser, the centre's branches, an expert 403; a trade
    without SME terms 404; a supplier its page (GET 200; POST with nothing filled: 422 naming the fields)."""
    from procurement.results import sme
    from tests.conftest import csrf_token, login
    from trading.trades.models import Trade

    url = f"/procurement/trades/{scene['bidding']}/sme-declaration"
    c = app.test_client()
    login(c, "bidder")
    assert c.get(url).status_code == 404  # no SME terms stated
    sme.set_policy(users["tenderer"], db.session.get(Trade, scene["bidding"]), {"category": "goods", "deduction": "10"})
    db.session.commit()
    assert app.test_client().open(url, method=method).status_code == 302  # to sign in
    for who in ("tenderer", "other_tenderer", "staff_proc", "decider", "expert"):
        other = app.test_client()
        login(other, who)
        data = {"csrf_token": csrf_token(other.get("/").get_data(as_text=True))} if method == "POST" else None
        assert other.open(url, method=method, data=data).status_code == 403, who
    page = c.get(url)
    assert page.status_code == 200
    if method == "POST":
        got = c.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
        assert got.status_code == 422
        html = got.get_data(as_text=True)
        assert 'id="size-error"' in html and 'id="employees-error"' in html and 'id="revenue-error"' in html
    draft = f"/procurement/trades/{scene['trade']}/sme-declaration"
    data = {"csrf_token": csrf_token(page.get_data(as_text=True))} if method == "POST" else None
    assert c.open(draft, method=method, data=data).status_code == 403  # a draft is not public
