"""Every expert route x anonymous (302 to login / 401), wrong role (403), another centre (403) and the right
person (2xx/3xx). The table is checked against matrix_experts.COVERED and app.url_map."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import pytest
from flask import current_app

from bidding.experts import services as experts
from bidding.experts.models import PURPOSE
from tests.bidding.experts.helpers import plan, pool, run_draw  # noqa: F401  (pool: fixture)
from tests.bidding.experts.matrix_experts import COVERED
from tests.conftest import START, api_headers, login, tender_timeline
from trading.accounts.roles import Role
from trading.draws import services as draws
from trading.trades import services as trades

SECRET = bytes(range(32))


@dataclass
class Route:
    endpoint: str
    method: str
    path: str  # {drawn} a trade with experts drawn; {planned} one with a plan, nothing drawn; {bare} no plan;
    #           {fixed} a round taking commitments; {sealed} a round taking the supervisor's reveal;
    #           {seat} the first seat of {drawn}; {expert} a pool entry
    right: str  # "seated" = the expert of {seat}
    wrong: str | None = "bidder"
    other_centre: str | None = None
    body: Callable[[dict], dict] | None = None

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


PLAN = {"lines": [{"specialty": "A01", "count": 5}], "representatives": 0}
T = "/api/v1/trades"
ROUTES = [
    Route("bidding.expert_pool", "GET", "/bidding/experts", right="staff"),
    Route("bidding.expert_pool", "POST", "/bidding/experts", right="staff", wrong="supervisor",
          body=lambda w: {"action": "register", "user_id": str(w["users"]["expert"].id), "employer": "大学",
                          "region": "杭州市", "specialties": "C03"}),
    Route("bidding.committee_page", "GET", "/bidding/trades/{drawn}/committee", right="staff",
          other_centre="staff_proc"),
    Route("bidding.committee_page", "POST", "/bidding/trades/{bare}/committee", right="staff", wrong="supervisor",
          other_centre="staff_proc", body=lambda w: {"action": "plan", "specialty": "A01", "count": "5",
                                                     "representatives": "0"}),
    Route("bidding.expert_assignments", "GET", "/bidding/experts/assignments", right="seated", wrong="staff"),
    Route("bidding.expert_assignments", "POST", "/bidding/experts/assignments", right="seated", wrong="staff",
          body=lambda w: {"action": "confirm", "trade_id": str(w["drawn"].id), "seat_id": str(w["seat"].id)}),
    Route("bidding_api.list_experts", "GET", "/api/v1/experts", right="staff"),
    Route("bidding_api.create_expert", "POST", "/api/v1/experts", right="staff", wrong="supervisor",
          body=lambda w: {"user_id": w["users"]["expert"].id, "employer": "大学", "region": "杭州市",
                          "specialties": ["C03"]}),
    Route("bidding_api.create_sanction", "POST", "/api/v1/experts/{expert}/sanctions", right="supervisor",
          wrong="staff", body=lambda w: {"kind": "warning", "reason": "迟到", "starts_on": "2026-03-02",
                                         "ends_on": "2026-03-02"}),
    Route("bidding_api.create_absence", "POST", "/api/v1/experts/{expert}/absences", right="staff",
          body=lambda w: {"starts_on": "2026-05-01", "ends_on": "2026-05-05"}),
    Route("bidding_api.put_plan", "PUT", T + "/{bare}/committee/plan", right="staff", wrong="supervisor",
          other_centre="staff_proc", body=lambda w: PLAN),
    Route("bidding_api.post_draw", "POST", T + "/{planned}/committee/draws", right="staff", wrong="supervisor",
          other_centre="staff_proc"),
    Route("bidding_api.list_draws", "GET", T + "/{drawn}/committee/draws", right="supervisor", wrong="tenderer",
          other_centre="staff_proc"),
    Route("bidding_api.post_commitment", "POST", T + "/{fixed}/committee/draws/1/commitments", right="supervisor",
          wrong="staff", other_centre="supervisor_proc",
          body=lambda w: {"commitment": hashlib.sha256(b"mine").hexdigest()}),
    Route("bidding_api.post_reveal", "POST", T + "/{sealed}/committee/draws/1/reveals", right="supervisor",
          wrong="staff", other_centre="supervisor_proc", body=lambda w: {"reveal": SECRET.hex()}),
    Route("bidding_api.list_members", "GET", T + "/{drawn}/committee/members", right="staff", wrong="tenderer",
          other_centre="staff_proc"),
    Route("bidding_api.post_recusal", "POST", T + "/{drawn}/committee/members/{seat}/recusal", right="staff",
          wrong="supervisor", other_centre="staff_proc", body=lambda w: {"reason": "与投标人有利害关系"}),
    Route("bidding_api.my_assignments", "GET", "/api/v1/me/expert-assignments", right="seated", wrong="staff"),
    Route("bidding_api.post_confirm", "POST", T + "/{drawn}/committee/members/{seat}/confirm", right="seated",
          wrong="expert"),
    Route("bidding_api.post_decline", "POST", T + "/{drawn}/committee/members/{seat}/decline", right="seated",
          wrong="expert", body=lambda w: {"reason": "出差"}),
]

KINDS = ("anonymous", "wrong", "other_centre", "right")
CASES = [pytest.param(r, k, id=f"{r.method} {r.endpoint}-{k}") for r in ROUTES for k in KINDS
         if k in ("anonymous", "right") or getattr(r, k)]


def test_table_matches_the_matrix_and_the_app(app):
    assert {(r.endpoint, r.method) for r in ROUTES} == COVERED
    mine = {(rule.endpoint, m) for rule in app.url_map.iter_rules()
            if "expert" in rule.rule or "/committee" in rule.rule for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert mine == COVERED


def _published(db, make_trade, users, title):
    trade = make_trade(title=title, **tender_timeline(START))
    for move, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, move, users[who])
    db.session.commit()
    return trade


@pytest.fixture
def world(db, users, make_user, make_trade, pool, clock):  # noqa: F811
    users["supervisor_proc"] = make_user("supervisor_proc", (Role.ADMIN_SUPERVISOR, "PROC"))
    bare = _published(db, make_trade, users, "Bare")
    planned = _published(db, make_trade, users, "Planned")
    plan(db, users, planned)
    drawn = _published(db, make_trade, users, "Drawn")
    plan(db, users, drawn)
    experts.draw(users["staff"], drawn)
    db.session.commit()
    run_draw(db, clock, drawn)
    sealed = _published(db, make_trade, users, "Sealed")
    plan(db, users, sealed)
    (row,) = experts.draw(users["staff"], sealed)
    draws.commit(users["supervisor"], sealed, PURPOSE, 1, hashlib.sha256(SECRET).hexdigest())
    db.session.commit()
    clock.freeze(max(clock.now(), row.commit_until))
    draws.run_due()
    current_app.config["DRAW_COMMIT_SECONDS"] = 90 * 86400  # still open after the walk above
    fixed = _published(db, make_trade, users, "Fixed")
    plan(db, users, fixed)
    experts.draw(users["staff"], fixed)
    db.session.commit()
    current_app.config.pop("DRAW_COMMIT_SECONDS")
    seat = experts.seats(drawn)[0]
    return {"users": users, "bare": bare, "planned": planned, "drawn": drawn, "sealed": sealed, "fixed": fixed,
            "seat": seat, "expert": pool[11], "seated": seat.expert.user.username}


@pytest.mark.parametrize("route,kind", CASES)
def test_expert_route_matrix(route: Route, kind: str, client, world):
    w = world
    path = route.path.format(**{k: w[k].id for k in ("bare", "planned", "drawn", "sealed", "fixed", "seat",
                                                      "expert")})
    name = {"anonymous": None, "wrong": route.wrong, "other_centre": route.other_centre, "right": route.right}[kind]
    if name == "seated":
        name = w["seated"]
    headers = {}
    if name and route.api:
        headers = api_headers(client, name)
    elif name:
        login(client, name)
    kwargs = {"headers": headers}
    if route.body:
        kwargs["json" if route.api else "data"] = route.body(w)
    response = client.open(path, method=route.method, **kwargs)
    status = response.status_code
    text = response.get_data(as_text=True)[:400]
    if kind == "anonymous":
        if route.api:
            assert status == 401 and response.get_json()["code"] == "unauthenticated"
        else:
            assert status == 302 and response.headers["Location"].split("?")[0].endswith("/login")
    elif kind == "right":
        assert 200 <= status < 400, text
        if route.method == "POST" and not route.api:
            follow = client.get(response.headers["Location"]).get_data(as_text=True)
            assert 'class="flash error"' not in follow, follow[:2000]
    else:
        assert status == 403, (name, status, text)
