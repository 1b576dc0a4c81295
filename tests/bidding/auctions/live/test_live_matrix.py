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


#: the page routes (session + CSRF off in tests): anonymous -> the login page for the commands
PAGE_ROUTES = {
    ("auction_live.auction_page", "GET", ""): {"anonymous": 200, "land_supervisor": 200, "buyer1": 200},
    ("auction_live.board_json", "GET", "/board"): {"anonymous": 200, "public": 200, "buyer3": 200},
    ("auction_live.bid_json", "POST", "/bids"): {"anonymous": 302, "land_supervisor": 403, "land_staff": 403,
                                                 "tenderer": 403, "buyer1": 201},
    ("auction_live.confirm_form", "POST", "/confirm"): {"anonymous": 302, "land_staff": 403, "buyer1": 302},
    ("auction_live.start_form", "POST", "/start"): {"anonymous": 302, "buyer1": 403, "staff": 403,
                                                    "land_staff": 302},
}
PAGE_CASES = [pytest.param(route, who, status, id=f"{route[0]}-{who}")
              for route, callers in PAGE_ROUTES.items() for who, status in callers.items()]


def test_the_page_matrix_covers_every_page_route(app):
    rules = {(r.endpoint, m) for r in app.url_map.iter_rules() if r.endpoint.startswith("auction_live.")
             for m in r.methods - {"HEAD", "OPTIONS"}}
    assert rules == {(e, m) for e, m, _p in PAGE_ROUTES}


@pytest.mark.parametrize(("route", "who", "status"), PAGE_CASES)
def test_page_caller_matrix(db, quoted, land, app, clock, route, who, status):
    from tests.conftest import login

    trade, _regs = quoted
    endpoint, method, path = route
    if endpoint != "auction_live.start_form":
        live.start_round(land["staff"], trade)
    if endpoint == "auction_live.bid_json":
        live.confirm(land["buyer1"], trade)
        live.confirm(land["buyer2"], trade)
    db.session.commit()
    client = app.test_client()
    if who != "anonymous":
        login(client, who)
    body = {"json": BID} if endpoint == "auction_live.bid_json" else {}
    response = client.open(f"/trades/{trade.id}/auction{path}", method=method, **body)
    assert response.status_code == status
