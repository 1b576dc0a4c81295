"""Every custody, evaluation and re-tender route × every kind of caller: anonymous, wrong branch, other
organisation, other centre, right role (tests/bidding/matrix_custody.py lists them for the route matrix)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bidding.custody.models import KeptDocument
from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from tests.bidding.ceremony.test_ceremony import _bid_all, _open, bidders, sealed_trade  # noqa: F401
from tests.bidding.custody.test_custody import cast  # noqa: F401
from tests.bidding.matrix_custody import COVERED
from tests.conftest import START, api_headers, login, tender_timeline
from trading.accounts.roles import Role
from trading.trades import services as trades


@pytest.fixture
def scene(db, client, sealed_trade, cast, clock, make_trade, make_user):
    """An evaluating trade with a sitting expert, a complaint review on it, and a failed trade."""
    _bid_all(client, sealed_trade, cast)
    assert _open(client, sealed_trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    seat = evaluation.seat_member(cast["staff"], sealed_trade, cast["committee_expert"], SeatKind.EXPERT)
    trades.move(sealed_trade, "start_evaluation", cast["staff"])
    cast["proc_supervisor"] = make_user("proc_supervisor", (Role.ADMIN_SUPERVISOR, "PROC"))
    failed = make_trade(**tender_timeline(clock.now() + timedelta(days=1)))
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(failed, name, cast[who])
    clock.freeze(failed.bid_deadline + timedelta(minutes=1))
    trades.advance_trade(failed)
    trades.move(failed, "fail", cast["staff"], reason="递交投标文件的投标人0家，不足3家，流标")
    db.session.commit()
    doc = db.session.scalars(sa.select(KeptDocument)).first()
    return {"trade": sealed_trade, "failed": failed, "seat": seat, "doc": doc}


def _routes(s, cast):
    t, f = s["trade"], s["failed"]
    base = f"/api/v1/trades/{t.id}"
    return [
        # endpoint, method, path, json, right, wrong branch, other org, other centre
        ("bidding_api.list_bid_documents", "GET", f"{base}/bid-documents", None, "committee_expert", "staff",
         "bidder", "proc_supervisor"),
        ("bidding_api.read_bid_document", "GET", f"{base}/bid-documents/{s['doc'].id}", None, "committee_expert",
         "supervisor", "bidder_b", "staff_proc"),
        ("bidding.bid_documents_page", "GET", f"/bidding/trades/{t.id}/bid-documents", None, "committee_expert",
         "decider", "tenderer_member", "staff_proc"),
        ("bidding.bid_document_download", "GET", f"/bidding/trades/{t.id}/bid-documents/{s['doc'].id}", None,
         "committee_expert", "social", "other_tenderer", "staff_proc"),
        ("bidding_api.seat_member", "POST", f"{base}/evaluation/seats",
         {"user_id": cast["tenderer"].id, "kind": "tenderer_rep"}, "staff", "supervisor", "tenderer", "staff_proc"),
        ("bidding_api.unseat_member", "POST", f"{base}/evaluation/seats/{s['seat'].id}/leave",
         {"reason": "回避"}, "staff", "decider", "bidder", "staff_proc"),
        ("bidding_api.assign_complaint_review", "POST", f"{base}/complaint-reviews",
         {"supervisor_id": cast["complaint_supervisor"].id, "complaint_ref": "投诉 1"}, "assigning_supervisor",
         "staff", "bidder", "proc_supervisor"),
        ("api.create_retender", "POST", f"/api/v1/trades/{f.id}/retender", None, "staff", "supervisor",
         "other_tenderer", "staff_proc"),
        ("bidding_api.fail_all_invalid", "POST", f"{base}/evaluation/fail", {"reason": "全部否决"}, "staff",
         "supervisor", "tenderer", "staff_proc"),
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


def test_custody_route_matrix(db, client, scene, cast):
    cache: dict = {}
    routes = _routes(scene, cast)
    tested = {(r[0], r[1]) for r in routes} | {("workspace.retender_trade", "POST"),
                                                ("bidding_api.close_complaint_review", "POST")}
    assert tested == COVERED
    for endpoint, method, path, body, right, wrong, other_org, other_centre in routes:
        page = not path.startswith("/api/")
        anonymous = _call(client, "anonymous", method, path, body, cache)
        assert anonymous.status_code == (302 if page else 401), endpoint
        for who in (wrong, other_org, other_centre):
            assert _call(client, who, method, path, body, cache).status_code == 403, (endpoint, who)
    for endpoint, method, path, body, right, *_ in routes:
        assert _call(client, right, method, path, body, cache).status_code in (200, 201), (endpoint, right)
    # the page form of the re-tender and closing a complaint review, on fresh objects
    review = db.session.scalar(sa.select(sa.text("id FROM complaint_reviews")))
    close = f"/api/v1/trades/{scene['trade'].id}/complaint-reviews/{review}/close"
    assert _call(client, "anonymous", "POST", close, None, cache).status_code == 401
    for who in ("staff", "bidder", "proc_supervisor"):
        assert _call(client, who, "POST", close, None, cache).status_code == 403
    assert _call(client, "assigning_supervisor", "POST", close, None, cache).status_code == 200
    page = f"/workspace/trades/{scene['failed'].id}/retender"
    assert _call(client, "anonymous", "POST", page, None, cache).status_code == 302
    for who in ("supervisor", "other_tenderer", "staff_proc"):
        assert _call(client, who, "POST", page, None, cache).status_code == 403, who
    assert _call(client, "tenderer", "POST", page, None, cache).status_code == 409  # already re-tendered by the API
