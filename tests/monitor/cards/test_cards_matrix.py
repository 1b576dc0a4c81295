"""Every card, pause and deposit route × anonymous, a wrong role and the right role."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from monitor.cards import services as card_services
from tests.conftest import api_headers, login
from tests.monitor.cards import matrix_cards
from tests.monitor.cards.cards_fixtures import cards, make_tender  # noqa: F401


@dataclass
class Route:
    endpoint: str
    method: str
    path: str  # {trade}, {card}, {deposit}
    right: str
    wrong: tuple[str, ...]
    body: Callable | None = None  # (users) -> form or JSON
    paused: bool = False  # the trade must be suspended first

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def _assign(u):
    return {"move": "assign", "assignee_id": u["staff"].id}


ROUTES = [
    Route("cards.card_list", "GET", "/monitor/cards?level=yellow&state=open", "supervisor", ("bidder", "public")),
    Route("cards.card_detail", "GET", "/monitor/cards/{card}", "supervisor", ("staff", "staff_proc", "bidder")),
    Route("cards.card_move", "POST", "/monitor/cards/{card}/moves", "supervisor", ("social", "staff", "bidder"),
          _assign),
    Route("cards.trade_cards", "GET", "/monitor/trades/{trade}/cards", "social", ("staff", "bidder")),
    Route("cards.pause_trade", "POST", "/monitor/trades/{trade}/pause", "supervisor", ("social", "staff", "decider"),
          lambda u: {"reason": "complaint received"}),
    Route("cards.resume_trade", "POST", "/monitor/trades/{trade}/resume", "supervisor", ("social", "staff"),
          lambda u: {"reason": "complaint answered"}, paused=True),
    Route("cards_api.list_cards", "GET", "/api/v1/cards?state=open", "decider", ("bidder", "public")),
    Route("cards_api.get_card", "GET", "/api/v1/cards/{card}", "supervisor", ("staff", "bidder")),
    Route("cards_api.move_card", "POST", "/api/v1/cards/{card}/transitions", "supervisor", ("social", "staff"),
          _assign),
    Route("cards_api.list_trade_cards", "GET", "/api/v1/trades/{trade}/cards", "supervisor", ("staff", "tenderer")),
    Route("cards_api.pause_trade_api", "POST", "/api/v1/trades/{trade}/pause", "supervisor", ("social", "staff"),
          lambda u: {"reason": "complaint received"}),
    Route("cards_api.resume_trade_api", "POST", "/api/v1/trades/{trade}/resume", "supervisor", ("social", "staff"),
          lambda u: {"reason": "complaint answered"}, paused=True),
    Route("deposits.deposits_page", "GET", "/bidding/trades/{trade}/deposits", "supervisor", ("bidder", "tenderer")),
    Route("deposits.deposits_page", "POST", "/bidding/trades/{trade}/deposits", "staff", ("supervisor", "bidder"),
          lambda u: {"organisation_id": str(u["other_bidder_org"]), "amount": "20000.00"}),
    Route("deposits.settle_page", "POST", "/bidding/trades/{trade}/deposits/{deposit}/settle", "staff",
          ("supervisor", "staff_proc"), lambda u: {"how": "refund"}),
    Route("deposits_api.list_deposits", "GET", "/api/v1/trades/{trade}/deposits", "staff", ("bidder", "staff_proc")),
    Route("deposits_api.record_deposit_api", "POST", "/api/v1/trades/{trade}/deposits", "staff",
          ("supervisor", "decider"), lambda u: {"organisation_id": u["other_bidder_org"], "amount": "20000.00"}),
    Route("deposits_api.settle_deposit_api", "POST", "/api/v1/trades/{trade}/deposits/{deposit}/settle", "staff",
          ("supervisor",), lambda u: {"how": "retain", "note": "part of the price"}),
]


def test_the_matrix_names_exactly_these_routes(app):
    assert {(r.endpoint, r.method) for r in ROUTES} == matrix_cards.COVERED
    served = {(rule.endpoint, m) for rule in app.url_map.iter_rules()
              for m in rule.methods - {"HEAD", "OPTIONS"}
              if rule.endpoint.split(".")[0] in ("cards", "cards_api", "deposits", "deposits_api")}
    assert served == matrix_cards.COVERED


CASES = [pytest.param(r, who, id=f"{r.method} {r.endpoint}-{who or 'anonymous'}")
         for r in ROUTES for who in (None, *r.wrong, r.right)]


@pytest.mark.parametrize("route,who", CASES)
def test_card_route_matrix(route: Route, who, db, users, make_tender, make_org, client):
    from bidding.deposits import services as deposits
    from trading.accounts.models import OrgKind

    trade = make_tender(documents=False)  # publication without documents issues a yellow card at once
    [card] = cards(db, trade, "works.tender_documents")
    deposit = deposits.record_deposit(users["staff"], trade, users["bidder"].organisation_id, "50000")
    users = {**users, "other_bidder_org": make_org(OrgKind.BIDDER).id}
    db.session.commit()
    if route.paused:
        card_services.pause_trade(users["supervisor"], trade, "matrix setup")
        db.session.commit()
    path = route.path.format(trade=trade.id, card=card.id, deposit=deposit.id)
    kwargs: dict = {}
    if who and route.api:
        kwargs["headers"] = api_headers(client, who)
    elif who:
        login(client, who)
    if route.body and route.api:
        kwargs["json"] = route.body(users)
    elif route.body:
        kwargs["data"] = route.body(users)
    response = client.open(path, method=route.method, **kwargs)
    status = response.status_code
    if who is None:
        if route.api:
            assert status == 401 and response.get_json()["code"] == "unauthenticated"
        else:
            assert status == 302 and response.headers["Location"].split("?")[0].endswith("/login")
    elif who == route.right:
        assert 200 <= status < 400, response.get_data(as_text=True)[:500]
        if status in (301, 302, 303):
            assert "/login" not in response.headers["Location"]
    else:
        assert status == 403, (who, response.get_data(as_text=True)[:300])
        if route.api:
            assert response.get_json()["code"] == "forbidden"
