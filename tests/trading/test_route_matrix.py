"""Every protected route × every kind of caller: anonymous, wrong branch, other organisation, right role.

The table is checked against app.url_map, so a route added without a row here fails the suite.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

import pytest

from tests.bidding.matrix_ceremony import COVERED as CEREMONY_COVERED
from tests.bidding.auctions.reserve.matrix_reserve import COVERED as RESERVE_COVERED
from tests.bidding.collusion.matrix_collusion import COVERED as COLLUSION_COVERED
from tests.bidding.matrix_custody import COVERED as CUSTODY_COVERED
from tests.bidding.auctions.deal import matrix_deal
from tests.bidding.award import matrix_award
from tests.bidding.auctions.live import matrix_live_round
from tests.bidding.evaluation.matrix_review import COVERED as REVIEW_COVERED
from tests.bidding.experts import matrix_experts
from tests.bidding.matrix_pages import COVERED as PAGES_COVERED, SALE_COVERED, SALE_PUBLIC
from tests.bidding.matrix_scoring import COVERED as SCORING_COVERED
from tests.bidding.auctions.property.matrix_property import COVERED as PROPERTY_COVERED, PUBLIC as PROPERTY_PUBLIC
from tests.monitor.audit import matrix_audit
from tests.monitor.cards import matrix_cards
from tests.monitor.live import matrix_live
from tests.monitor.supervisors import matrix_supervisors
from tests.procurement import matrices as procurement_matrices
from tests.trading.signing import matrix_signing
from tests.conftest import START, api_headers, login, tender_timeline

ISSUE = START + timedelta(days=1)


def _local(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")  # START is already Beijing time


def _trade_form(users, centres) -> dict:
    tl = tender_timeline(ISSUE)
    return {"centre_id": str(centres["WORKS"].id), "method": "works_open_tender",
            "tenderer_id": str(users["tenderer"].organisation_id), "title": "Matrix trade",
            "description": "made by the route matrix", "estimated_price": "1000000.00",
            **{k: _local(v) for k, v in tl.items()}}


def _trade_json(users, centres) -> dict:
    tl = tender_timeline(ISSUE)
    return {"centre_id": centres["WORKS"].id, "method": "works_open_tender",
            "tenderer_id": users["tenderer"].organisation_id, "title": "Matrix trade",
            "estimated_price": "1000000.00", **{k: v.isoformat() for k, v in tl.items()}}


def _enrolment_json() -> dict:
    """A personal key as the keyholder's machine sends it (bidding/keyholders/client.py)."""
    from bidding.keyholders import client as holder_side

    made = holder_side.enrol("correct horse battery staple", 1_000)
    return {"public_key": made.public_key.hex(), "wrapped_key": made.wrapped_key.hex()}


def _keyholders_json(users, centres) -> dict:
    # one executing keyholder is enough when the centre's threshold is one (the users cast has one WORKS clerk)
    centres["WORKS"].keyholders_execute = 1
    return {"execute": [users["staff"].id], "supervise": [users["supervisor"].id]}


def _file() -> dict:
    return {"file": (io.BytesIO(b"%PDF-1.4 tender documents"), "docs.pdf", "application/pdf")}


@dataclass
class Route:
    """One protected (endpoint, method) and who is who for it."""

    endpoint: str
    method: str
    path: str  # may contain {id}
    right: str  # a user who may do it
    trade: str | None = None  # "draft" or "published"
    wrong: str | None = None  # a user of the wrong branch or role
    other_org: str | None = "other_tenderer"  # another tenderer organisation
    other_centre: str | None = None  # staff of another centre
    form: Callable | None = None  # (users, centres) -> form data (pages)
    json: Callable | None = None  # (users, centres) -> JSON body (API)
    multipart: bool = False
    query: str = ""

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}{self.query}"


ROUTES = [
    # ---- pages under /workspace ----
    Route("workspace.index", "GET", "/workspace/", right="staff", wrong="public", other_org=None),
    Route("workspace.new_trade", "GET", "/workspace/trades/new", right="staff", wrong="supervisor", other_org=None),
    Route("workspace.new_trade", "POST", "/workspace/trades/new", right="staff", wrong="supervisor",
          other_org=None, other_centre=None, form=_trade_form),
    Route("workspace.edit_trade", "GET", "/workspace/trades/{id}/edit", right="staff", trade="draft",
          wrong="supervisor", other_centre="staff_proc"),
    Route("workspace.edit_trade", "POST", "/workspace/trades/{id}/edit", right="tenderer", trade="draft",
          wrong="supervisor", other_centre="staff_proc",
          form=lambda u, c: {k: v for k, v in _trade_form(u, c).items()
                             if k not in ("centre_id", "method", "tenderer_id")}),
    Route("workspace.trade", "GET", "/workspace/trades/{id}", right="staff", trade="draft", wrong="bidder",
          other_centre="staff_proc"),
    Route("workspace.move", "POST", "/workspace/trades/{id}/move", right="staff", trade="draft",
          wrong="supervisor", other_centre="staff_proc", form=lambda u, c: {"move": "submit"}),
    Route("workspace.upload", "POST", "/workspace/trades/{id}/documents", right="staff", trade="draft",
          wrong="supervisor", other_centre="staff_proc", multipart=True),
    Route("workspace.clarify", "POST", "/workspace/trades/{id}/clarifications", right="staff", trade="published",
          wrong="supervisor", other_centre="staff_proc",
          form=lambda u, c: {"title": "Clarification 1", "body": "Lot 2 is withdrawn."}),
    Route("workspace.downloaders", "GET", "/workspace/trades/{id}/downloaders", right="staff", trade="published",
          wrong="supervisor", other_centre="staff_proc"),
    Route("workspace.notifications", "GET", "/workspace/notifications", right="public", other_org=None),
    Route("workspace.calendar", "GET", "/workspace/calendar", right="decider", wrong="staff", other_org=None),
    Route("workspace.calendar", "POST", "/workspace/calendar", right="decider", wrong="staff", other_org=None,
          form=lambda u, c: {"day": "2026-10-01", "kind": "holiday", "name": "National Day"}),
    # ---- API endpoints that need a token or a permission ----
    Route("api.delete_token", "DELETE", "/api/v1/tokens", right="public", other_org=None),
    Route("api.list_trades", "GET", "/api/v1/trades", query="?scope=mine", right="staff", other_org=None),
    Route("api.create_trade", "POST", "/api/v1/trades", right="staff", wrong="supervisor", other_org=None,
          json=_trade_json),
    Route("api.get_trade", "GET", "/api/v1/trades/{id}", right="staff", trade="draft", wrong="bidder",
          other_centre="staff_proc"),
    Route("api.update_trade", "PATCH", "/api/v1/trades/{id}", right="staff", trade="draft", wrong="supervisor",
          other_centre="staff_proc", json=lambda u, c: {"title": "Road works lot 1 (revised)"}),
    Route("api.list_transitions", "GET", "/api/v1/trades/{id}/transitions", right="staff", trade="draft",
          wrong="bidder", other_centre="staff_proc"),
    Route("api.create_transition", "POST", "/api/v1/trades/{id}/transitions", right="staff", trade="draft",
          wrong="supervisor", other_centre="staff_proc", json=lambda u, c: {"move": "submit"}),
    Route("api.list_documents", "GET", "/api/v1/trades/{id}/documents", right="tenderer", trade="draft",
          wrong="bidder", other_centre="staff_proc"),
    Route("api.upload_document", "POST", "/api/v1/trades/{id}/documents", right="staff", trade="draft",
          wrong="supervisor", other_centre="staff_proc", multipart=True),
    Route("api.list_downloads", "GET", "/api/v1/trades/{id}/downloads", right="tenderer", trade="published",
          wrong="supervisor", other_centre="staff_proc"),
    Route("api.list_clarifications", "GET", "/api/v1/trades/{id}/clarifications", right="staff", trade="draft",
          wrong="bidder", other_centre="staff_proc"),
    Route("api.create_clarification", "POST", "/api/v1/trades/{id}/clarifications", right="staff",
          trade="published", wrong="supervisor", other_centre="staff_proc",
          json=lambda u, c: {"title": "Clarification 1", "body": "Lot 2 is withdrawn."}),
    # ---- sealed bids ----
    Route("bidding_api.appoint_keyholders", "POST", "/api/v1/trades/{id}/keyholders", right="decider",
          trade="draft", wrong="staff", other_centre="staff_proc", json=_keyholders_json),
    Route("bidding_api.list_keyholders", "GET", "/api/v1/trades/{id}/keyholders", right="staff", trade="draft",
          wrong="bidder", other_centre="staff_proc"),
    Route("bidding_api.enrol_personal_key", "POST", "/api/v1/me/personal-key", right="staff", wrong="bidder",
          other_org=None, json=lambda u, c: _enrolment_json()),
]

#: protected routes whose caller matrix needs a sealed envelope or a ceremony; it lives in tests/bidding/
ELSEWHERE = {("bidding_api.submit_bid", "POST"), ("bidding_api.list_bids", "GET"),
             ("bidding_api.withdraw_bid", "DELETE")} | CEREMONY_COVERED | PAGES_COVERED | CUSTODY_COVERED
ELSEWHERE |= REVIEW_COVERED  # the evaluation review and clarifications: tests/bidding/evaluation/
ELSEWHERE |= SCORING_COVERED  # tests/bidding/scoring/test_scoring_matrix.py
ELSEWHERE |= COLLUSION_COVERED  # tests/bidding/collusion/test_collusion_matrix.py
ELSEWHERE |= RESERVE_COVERED  # tests/bidding/auctions/reserve/test_reserve_matrix.py
ELSEWHERE |= PROPERTY_COVERED | PROPERTY_PUBLIC  # tests/bidding/auctions/property/test_matrix.py
ELSEWHERE |= SALE_COVERED  # land and property sales: tests/bidding/auctions/test_sale_http.py
MONITOR = (matrix_audit, matrix_cards, matrix_live, matrix_supervisors, matrix_signing, matrix_experts, matrix_award,
           matrix_live_round, matrix_deal, procurement_matrices)
#: the supervision plane's routes are tested in tests/monitor/, the signing routes in tests/trading/signing/,
#: the expert pool's and committee's in tests/bidding/experts/
ELSEWHERE |= set().union(*(m.COVERED for m in MONITOR))

#: routes anyone may call without logging in (each still has its own tests elsewhere)
PUBLIC = {
    ("api.openapi", "GET"), ("api.create_token", "POST"), ("api.list_centres", "GET"),
    ("api.list_rule_sets", "GET"), ("api.list_trades", "GET"), ("api.list_notices", "GET"),
    ("api.download_document", "GET"), ("bidding_api.get_opening_key", "GET"),
    ("bidding_api.get_receipt_key", "GET"),
} | set().union(*(m.PUBLIC for m in MONITOR)) | SALE_PUBLIC

KINDS = ("anonymous", "wrong_branch", "other_org", "other_centre", "right")
CASES = [pytest.param(r, k, id=f"{r.id}-{k}") for r in ROUTES for k in KINDS
         if k in ("anonymous", "right") or getattr(r, {"wrong_branch": "wrong", "other_org": "other_org",
                                                           "other_centre": "other_centre"}[k])]


def _protected_rules(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/workspace", "/api/v1", "/bidding", "/monitor", "/live")):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                out.add((rule.endpoint, method))
    return out


def test_every_workspace_and_api_route_has_a_matrix_row(app):
    """A new route under /workspace or /api/v1 must be added to ROUTES or, if public, to PUBLIC."""
    table = {(r.endpoint, r.method) for r in ROUTES}
    rules = _protected_rules(app)
    assert rules - table - PUBLIC - ELSEWHERE == set(), "routes without a matrix row"
    assert table - rules == set(), "matrix rows for routes that no longer exist"
    assert (PUBLIC - rules) == set(), "public allowlist names routes that no longer exist"
    assert not (PUBLIC & table - {("api.list_trades", "GET")}), "a route is both public and protected"


def test_workspace_views_name_their_permission(app):
    """Every workspace view except the personal inbox goes through a named permission."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("workspace.") and rule.endpoint != "workspace.notifications":
            assert getattr(app.view_functions[rule.endpoint], "permission", None), rule.endpoint


def test_public_allowlist_is_really_public(client, published_trade):
    """Sanity for the allowlist: the public API answers an anonymous caller without a token."""
    for path in ("/api/v1/openapi.json", "/api/v1/centres", "/api/v1/rulesets", "/api/v1/trades",
                 "/api/v1/notices", f"/api/v1/trades/{published_trade.id}"):
        response = client.get(path)
        assert response.status_code == 200, path


def _request(client, route: Route, users, centres, trade, headers=None):
    path = route.path.format(id=trade.id if trade is not None else 0) + route.query
    kwargs: dict = {"headers": headers or {}}
    if route.form:
        kwargs["data"] = route.form(users, centres)
    if route.json:
        kwargs["json"] = route.json(users, centres)
    if route.multipart:
        kwargs["data"] = _file()
        kwargs["content_type"] = "multipart/form-data"
    return client.open(path, method=route.method, **kwargs)


@pytest.mark.parametrize("route,kind", CASES)
def test_route_matrix(route: Route, kind: str, request, client, users, centres):
    trade = None
    if route.trade == "draft":
        trade = request.getfixturevalue("make_trade")(paper_bids=False)  # a draft sealed-bid tender
    elif route.trade == "published":
        trade = request.getfixturevalue("published_trade")
    username = {"anonymous": None, "wrong_branch": route.wrong, "other_org": route.other_org,
                "other_centre": route.other_centre, "right": route.right}[kind]
    headers = None
    if username and route.api:
        headers = api_headers(client, username)
    elif username:
        login(client, username)

    response = _request(client, route, users, centres, trade, headers)
    status = response.status_code

    if kind == "anonymous":
        if route.api:
            assert status == 401, response.get_data(as_text=True)[:300]
            assert response.is_json and response.get_json()["code"] == "unauthenticated"
        else:
            assert status == 302
            assert response.headers["Location"].split("?")[0].endswith("/login")
    elif kind == "right":
        assert 200 <= status < 400, response.get_data(as_text=True)[:500]
        if status in (301, 302, 303):
            assert "/login" not in response.headers["Location"]
    else:
        assert status == 403, (username, response.get_data(as_text=True)[:500])
        if route.api:
            assert response.get_json()["code"] in ("forbidden", "separation_of_duties")
