"""Every collusion route for every kind of caller, before the opening, after it, and while the committee
sits: nobody before the opening; then the trade's supervisors see and may screen again; the sitting
committee sees, screens and decides; bidders, the tenderer, staff, deciders, experts off the committee,
another centre's supervisor and the public never get in."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from bidding.collusion.models import CollusionFlag
from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from tests.bidding.ceremony.test_ceremony import _open, bidders, sealed_trade  # noqa: F401  (fixtures)
from tests.bidding.collusion.helpers import submit
from tests.bidding.collusion.matrix_collusion import COVERED
from tests.conftest import api_headers, login
from trading.accounts.roles import Role
from trading.trades import services as trades

VIEWERS = ("anonymous", "public", "bidder", "bidder_b", "tenderer", "staff", "decider", "expert", "supervisor",
           "social", "supervisor_proc", "committee_expert")


@pytest.fixture
def trade(db, client, sealed_trade, bidders, make_user):
    bidders["committee_expert"] = make_user("committee_expert", (Role.EXPERT, None))
    bidders["supervisor_proc"] = make_user("supervisor_proc", (Role.ADMIN_SUPERVISOR, "PROC"))
    for n, who in enumerate(("bidder", "bidder_b", "bidder_c")):
        submit(client, sealed_trade, bidders[who], f"48{n}0000.00", [], address="203.0.113.9", device=None)
    return sealed_trade


def _api(client, trade, flag_id: int, who: str) -> dict[tuple[str, str], int]:
    headers = {} if who == "anonymous" else api_headers(client, who)
    base = f"/api/v1/trades/{trade.id}/collusion"
    return {
        ("bidding_api.collusion_flags", "GET"): client.get(f"{base}/flags", headers=headers).status_code,
        ("bidding_api.collusion_screen", "POST"): client.post(f"{base}/screenings", headers=headers).status_code,
        ("bidding_api.collusion_review", "POST"): client.post(
            f"{base}/flags/{flag_id}/reviews", headers=headers,
            json={"decision": "dismissed", "note": f"checked by {who}"}).status_code,
    }


def _pages(client, trade, flag_id: int, who: str) -> dict[tuple[str, str], int]:
    client.post("/logout")
    if who != "anonymous":
        login(client, who)
    base = f"/bidding/trades/{trade.id}/collusion"
    out = {
        ("bidding.collusion_page", "GET"): client.get(base).status_code,
        ("bidding.collusion_screen_page", "POST"): client.post(f"{base}/screen").status_code,
        ("bidding.collusion_review_page", "POST"): client.post(
            f"{base}/flags/{flag_id}/review", data={"decision": "dismissed", "note": f"on the page, checked by {who}"}).status_code,
    }
    client.post("/logout")
    return out


def _matrix(client, trade, flag_id: int) -> dict[str, dict]:
    return {who: {**_api(client, trade, flag_id, who), **_pages(client, trade, flag_id, who)} for who in VIEWERS}


def _expected(see: set[str], decide: set[str]) -> dict[str, dict]:
    out = {}
    for who in VIEWERS:
        row = {}
        for endpoint, method in COVERED:
            page = endpoint.startswith("bidding.")
            allowed = who in (decide if "review" in endpoint else see)
            if allowed:
                row[(endpoint, method)] = 200 if method == "GET" else (302 if page else 201)
            else:
                row[(endpoint, method)] = (302 if page else 401) if who == "anonymous" else 403
        out[who] = row
    return out


def test_every_route_for_every_caller_before_and_after_the_opening(db, client, trade, bidders, clock):
    assert {e for e, _m in COVERED} == {r.endpoint for r in client.application.url_map.iter_rules()
                                        if "collusion" in r.endpoint}
    assert _matrix(client, trade, 1) == _expected(set(), set())  # before the opening: nobody
    _open(client, trade, clock)
    flag = db.session.scalar(sa.select(CollusionFlag).where(CollusionFlag.rule == "same_address"))
    assert flag is not None
    assert _matrix(client, trade, flag.id) == _expected({"supervisor", "social"}, set())
    db.session.expire_all()
    evaluation.seat_member(bidders["staff"], trade, bidders["committee_expert"], SeatKind.EXPERT)
    trades.move(trade, "start_evaluation", bidders["staff"])
    db.session.commit()
    sitting = _matrix(client, trade, flag.id)
    assert sitting == _expected({"supervisor", "social", "committee_expert"}, {"committee_expert"})
    # a flag of another trade, or none, is not found even by those who may decide
    assert client.post(f"/api/v1/trades/{trade.id}/collusion/flags/{flag.id + 999}/reviews",
                       headers=api_headers(client, "committee_expert"),
                       json={"decision": "dismissed", "note": "n"}).status_code == 404
