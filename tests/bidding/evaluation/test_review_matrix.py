"""Every review and clarification route × every kind of caller: anonymous, wrong branch, other organisation,
other centre, right role (tests/bidding/evaluation/matrix_review.py lists them for the route matrices)."""
from __future__ import annotations

from datetime import timedelta

from tests.bidding.evaluation.matrix_review import COVERED
from tests.conftest import api_headers, login
from trading.clock import local_tz, now

CODES = ["Q1", "Q2", "Q3", "Q4", "C1", "C2", "C3", "C4", "C5"]


def _routes(room, question_id: int, page_question_id: int):
    t = room["trade"]
    base = f"/api/v1/trades/{t.id}/evaluation"
    page = f"/bidding/trades/{t.id}/evaluation"
    local = (now() + timedelta(hours=3)).astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M")
    entry = room["entries"]["bidder_b"].id
    ask = {"entry_id": entry, "question": "请澄清", "deadline": (now() + timedelta(hours=3)).isoformat()}
    marks = {"entry_id": entry, "marks": [{"criterion": "Q1", "passed": True}]}
    criterion = {"code": "D1", "stage": "compliance", "title": "安全生产许可证", "source": "招标文件 2.1"}
    return [
        # endpoint, method, path, json, right, wrong branch, other org, other centre
        ("bidding_api.get_review", "GET", f"{base}/review", None, "expert", "decider", "bidder", "staff_proc"),
        ("bidding_api.add_criterion", "POST", f"{base}/review/criteria", criterion, "staff", "supervisor",
         "tenderer", "staff_proc"),
        ("bidding.evaluation_criteria", "POST", f"{page}/criteria", {**criterion, "code": "D2"}, "staff", "social",
         "bidder", "staff_proc"),
        ("bidding_api.list_bid_clarifications", "GET", f"{base}/clarifications", None, "bidder_b", "decider",
         "bidder_d", "staff_proc"),
        ("bidding_api.ask_bid_clarification", "POST", f"{base}/clarifications", ask, "expert", "staff", "bidder",
         "staff_proc"),
        ("bidding_api.answer_bid_clarification", "POST", f"{base}/clarifications/{question_id}/answer",
         {"answer": "已含"}, "bidder_b", "supervisor", "bidder", "staff_proc"),
        ("bidding_api.refuse_bid_clarification", "POST", f"{base}/clarifications/{question_id}/refuse",
         {"reason": "改变报价"}, "expert2", "staff", "bidder_b", "staff_proc"),
        ("bidding_api.record_marks", "POST", f"{base}/review/marks", marks, "expert", "staff", "bidder",
         "staff_proc"),
        # the pages (plain forms): anonymous callers are sent to /login
        ("bidding.evaluation_room", "GET", page, None, "supervisor", "decider", "tenderer", "staff_proc"),
        ("bidding.evaluation_ask", "POST", f"{page}/clarifications", {"entry_id": entry, "question": "请说明工期",
                                                                      "deadline": local}, "expert3", "supervisor",
         "bidder_b", "staff_proc"),
        ("bidding.evaluation_answer", "POST", f"{page}/clarifications/{page_question_id}/answer", {"answer": "已含"},
         "bidder_b", "staff", "bidder", "staff_proc"),
        ("bidding.evaluation_refuse", "POST", f"{page}/clarifications/{page_question_id}/refuse", {"reason": "改变报价"},
         "expert", "supervisor", "bidder_b", "staff_proc"),
        ("bidding.evaluation_marks", "POST", f"{page}/marks", {"entry_id": entry, "pass-Q2": "1"}, "expert2", "staff",
         "bidder_c", "staff_proc"),
    ]


def _call(client, who, method, path, body, cache):
    page = not path.startswith("/api/")
    if page:
        client.post("/logout")
        if who != "anonymous":
            login(client, who)
        return client.open(path, method=method, data=body or {})
    headers = {} if who == "anonymous" else cache.setdefault(who, api_headers(client, who))
    return client.open(path, method=method, json=body, headers=headers)


def test_review_route_matrix(db, client, room):
    cache: dict = {}
    ids = []
    for _n in range(2):
        asked = client.post(f"/api/v1/trades/{room['trade'].id}/evaluation/clarifications",
                            json={"entry_id": room["entries"]["bidder_b"].id, "question": "请说明",
                                  "deadline": (now() + timedelta(hours=3)).isoformat()},
                            headers=api_headers(client, "expert"))
        assert asked.status_code == 201
        ids.append(asked.get_json()["id"])
    routes = _routes(room, *ids)
    closing = {("bidding_api.close_review", "POST"), ("bidding.evaluation_close", "POST")}
    assert {(r[0], r[1]) for r in routes} | closing == COVERED
    for endpoint, method, path, body, right, wrong, other_org, other_centre in routes:
        page = not path.startswith("/api/")
        assert _call(client, "anonymous", method, path, body, cache).status_code == (302 if page else 401), endpoint
        for who in (wrong, other_org, other_centre):
            assert _call(client, who, method, path, body, cache).status_code == 403, (endpoint, who)
        done = _call(client, right, method, path, body, cache)
        assert done.status_code in ((200, 302) if page else (200, 201)), (endpoint, right, done.status_code)
        if page and done.status_code == 302:
            assert "/login" not in done.headers["Location"]
            shown = client.get(done.headers["Location"]).get_data(as_text=True)
            assert 'class="flash success"' in shown and 'class="flash error"' not in shown, endpoint
    # closing: every member marks every bid first
    close = f"/api/v1/trades/{room['trade'].id}/evaluation/review/close"
    for member in ("expert", "expert2", "expert3"):
        for entry in room["entries"].values():
            marks = [{"criterion": c, "passed": True} for c in CODES + ["D1", "D2"]]
            got = _call(client, member, "POST", f"/api/v1/trades/{room['trade'].id}/evaluation/review/marks",
                        {"entry_id": entry.id, "marks": marks}, cache)
            assert got.status_code == 200, got.get_json()
    assert _call(client, "anonymous", "POST", close, None, cache).status_code == 401
    for who in ("supervisor", "bidder", "staff_proc", "staff"):
        assert _call(client, who, "POST", close, None, cache).status_code == 403, who
    page_close = f"/bidding/trades/{room['trade'].id}/evaluation/close"
    assert _call(client, "anonymous", "POST", page_close, None, cache).status_code == 302
    for who in ("supervisor", "bidder", "staff_proc", "staff"):
        assert _call(client, who, "POST", page_close, None, cache).status_code == 403, who
    assert _call(client, "expert3", "POST", close, None, cache).status_code == 201
