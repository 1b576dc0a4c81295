"""Every scoring route × every kind of caller: anonymous, wrong branch or role, other organisation, other centre,
right role (tests/bidding/matrix_scoring.py lists them for the route matrix)."""
from __future__ import annotations

import pytest

from bidding.scoring import services as scoring
from tests.bidding.matrix_scoring import COVERED
from tests.bidding.scoring.test_sheets import PLAN
from tests.conftest import api_headers, login

ENTRY = {"entry_id": 1, "criterion_id": 1, "reason": "x"}


def _routes(trade):
    base = f"/api/v1/trades/{trade.id}/scoring"
    page = f"/bidding/trades/{trade.id}/scoring"
    return [
        # endpoint, method, path, body, right, wrong branch or role, other organisation, other centre
        ("bidding_api.get_scoring_plan", "GET", f"{base}/plan", None, "staff", "bidder", "other_tenderer", "staff_proc"),
        ("bidding_api.set_scoring_plan", "PUT", f"{base}/plan", PLAN, "staff", "supervisor", "tenderer", "staff_proc"),
        ("bidding_api.get_scoring_progress", "GET", f"{base}/progress", None, "supervisor", "expert", "bidder",
         "staff_proc"),
        ("bidding_api.get_my_sheet", "GET", f"{base}/sheet", None, "e1", "staff", "bidder", "staff_proc"),
        ("bidding_api.save_my_sheet", "PUT", f"{base}/sheet", {"scores": []}, "e1", "supervisor", "tenderer",
         "staff_proc"),
        ("bidding_api.submit_my_sheet", "POST", f"{base}/sheet/submit", {}, "e1", "decider", "bidder", "staff_proc"),
        ("bidding_api.explain_my_score", "POST", f"{base}/sheet/reasons", ENTRY, "e1", "staff", "other_tenderer",
         "staff_proc"),
        ("bidding_api.list_score_sheets", "GET", f"{base}/sheets", None, "decider", "expert", "bidder", "staff_proc"),
        ("bidding_api.list_price_adjustments", "GET", f"{base}/adjustments", None, "e2", "public", "tenderer",
         "staff_proc"),
        ("bidding_api.add_price_adjustment", "POST", f"{base}/adjustments",
         {"entry_id": 1, "amount": "10", "reason": "x"}, "e1", "staff", "bidder", "staff_proc"),
        ("bidding_api.get_scoring_results", "GET", f"{base}/results", None, "staff", "expert", "bidder", "staff_proc"),
        ("bidding_api.make_evaluation_report", "POST", f"{base}/report", None, "staff", "supervisor", "tenderer",
         "staff_proc"),
        ("bidding_api.get_evaluation_report", "GET", f"{base}/report", None, "social", "expert", "tenderer",
         "staff_proc"),
        ("bidding_api.get_evaluation_report_pdf", "GET", f"{base}/report.pdf", None, "staff", "bidder",
         "other_tenderer", "staff_proc"),
        ("bidding_api.sign_evaluation_report", "POST", f"{base}/report/sign",
         {"statement": "x", "signature": "y"}, "e1", "staff", "bidder", "staff_proc"),
        ("bidding.scoring_page", "GET", page, None, "e1", "bidder", "tenderer", "staff_proc"),
        ("bidding.scoring_report_pdf", "GET", f"{page}/report.pdf", None, "staff", "bidder", "other_tenderer",
         "staff_proc"),
        ("bidding.scoring_page", "POST", page, {"action": "plan", **{k: v for k, v in PLAN.items() if k != "criteria"},
                                                "criteria": "技术方案 | 40\n施工组织设计 | 20"},
         "staff", "supervisor", "other_tenderer", "staff_proc"),
    ]


def test_the_matrix_names_every_scoring_route(app):
    rules = {(r.endpoint, m) for r in app.url_map.iter_rules() if "scoring" in r.rule or "evaluation-report" in r.rule
             for m in r.methods - {"HEAD", "OPTIONS"}}
    assert rules == COVERED


@pytest.fixture
def scene(db, evaluating, committee):
    return evaluating


def _call(client, method, path, body, who):
    if path.startswith("/api/"):
        headers = api_headers(client, who) if who != "anonymous" else {}
        return client.open(path, method=method, json=body, headers=headers)
    client.get("/logout")
    if who != "anonymous":
        login(client, who)
    if method == "GET":
        return client.get(path)
    from tests.conftest import csrf_token

    token = csrf_token(client.get(path).get_data(as_text=True)) if who != "anonymous" else ""
    return client.post(path, data={**(body or {}), "csrf_token": token})


@pytest.mark.parametrize("kind", ["anonymous", "wrong", "other_org", "other_centre", "right"])
def test_scoring_route_matrix(db, client, scene, committee, kind):
    if kind == "right":  # the plan exists for the routes that read it (the PUT replaces it, the page POST too)
        scoring.set_plan(committee["staff"], scene, PLAN)
        db.session.commit()
    for endpoint, method, path, body, right, wrong, other_org, other_centre in _routes(scene):
        who = {"anonymous": "anonymous", "wrong": wrong, "other_org": other_org, "other_centre": other_centre,
               "right": right}[kind]
        response = _call(client, method, path, body, who)
        status = response.status_code
        if kind == "anonymous":
            expected = {401} if path.startswith("/api/") else {302}
            assert status in expected, (endpoint, method, status)
            if status == 302:
                assert "/login" in response.headers["Location"]
        elif kind == "right":
            assert status not in (401, 403), (endpoint, method, who, status, response.get_data(as_text=True)[:300])
            assert status < 500
        else:
            assert status == 403, (endpoint, method, kind, who, status)
