"""Every live-round route x every kind of caller: anonymous, wrong branch, another organisation, another
centre's staff, the right role (tests/trading/test_route_matrix.py requires a row for each route)."""
from __future__ import annotations

import pytest

from bidding.auctions.live import services as live
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from tests.bidding.auctions.live.matrix_live_round import COVERED, PUBLIC
from tests.conftest import api_headers

BID = {"amount": str(STARTING_PRICE + 2 * INCREMENT), "client_ref": "matrix-1"}
#: route -> (what it needs: "quoted" before the start, "started" after; json), then expected status per caller
ROUTES = {
    ("auction_live_api.live_start", "POST"): ("quoted", "start", None, {
        "anonymous": 401, "land_supervisor": 403, "buyer1": 403, "staff": 403, "land_staff": 200}),
    ("auction_live_api.live_confirm", "POST"): ("started", "confirm", None, {
        "anonymous": 401, "land_supervisor": 403, "land_staff": 403, "tenderer": 403, "buyer1": 201}),
    ("auction_live_api.live_bid", "POST"): ("open", "bids", BID, {
        "anonymous": 401, "land_supervisor": 403, "land_staff": 403, "tenderer": 403, "buyer1": 201}),
    ("auction_live_api.live_board", "GET"): ("open", "", None, {
        "anonymous": 200, "land_supervisor": 200, "land_social": 200, "staff": 200, "buyer3": 200, "buyer1": 200}),
}
CASES = [pytest.param(route, who, status, id=f"{route[0]}-{who}")
         for route, (_s, _p, _j, callers) in ROUTES.items() for who, status in callers.items()]


def test_the_matrix_covers_every_route():
    assert set(ROUTES) == COVERED | PUBLIC


@pytest.mark.parametrize(("route", "who", "status"), CASES)
def test_caller_matrix(db, quoted, land, users, client, clock, route, who, status):
    trade, _regs = quoted
    stage, path, body, _callers = ROUTES[route]
    if stage in ("started", "open"):
        live.start_round(land["staff"], trade)
    if stage == "open":
        live.confirm(land["buyer1"], trade)
        live.confirm(land["buyer2"], trade)
    db.session.commit()
    headers = {} if who == "anonymous" else api_headers(client, who)
    url = f"/api/v1/trades/{trade.id}/auction" + (f"/{path}" if path else "")
    response = client.open(url, method=route[1], headers=headers, json=body)
    assert response.status_code == status, response.get_json()
