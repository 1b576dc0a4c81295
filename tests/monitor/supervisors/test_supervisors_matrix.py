"""Every social supervisor route × anonymous (302 to login / 401), wrong role (403), another centre (403)
and the right person (2xx/3xx). The table is checked against matrix_supervisors.COVERED and app.url_map."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import pytest
from flask import current_app

from monitor.supervisors import draws as supervisor_draws, rounds
from tests.conftest import api_headers, login
from tests.monitor.supervisors.matrix_supervisors import COVERED
from tests.monitor.supervisors.supervisor_helpers import NAMES, WORKS_SOCIAL, publish, register, walk
from trading.accounts.roles import Role
from trading.trades.flows import TradeState as S
from tests.signing_helpers import api_signed, page_signed


@dataclass
class Route:
    endpoint: str
    method: str
    path: str  # {trade} a trade with a drawn supervisor, at OPENED; {bare} a trade nobody was drawn for;
    #           {sup} the registry entry of `social`; {drawn} the drawn place on {trade}; {fixed} a trade whose
    #           round 1 takes commitments; {sealed} one whose round 1 takes the reveal of `supervisor`
    right: str  # "drawn" = the supervisor drawn for {trade}
    wrong: str | None = "staff"
    other_centre: str | None = None
    body: Callable[[dict], dict] | None = None
    signed: str | None = None  # the kind of statement the caller signs with their own key first

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def _register_body(w):
    return {"user_id": w["users"]["social_x"].id, "centre_id": w["centres"]["WORKS"].id, "recommended_by": "区工会",
            "agreement_ref": "PY-X", "agreement_date": "2026-03-01", "rights_duties": "依约监督"}


def _register_form(w):
    return {k: str(v) for k, v in _register_body(w).items()}


ROUTES = [
    # ---- pages ----
    Route("supervisors.registry", "GET", "/monitor/supervisors", right="decider"),
    Route("supervisors.register_page", "GET", "/monitor/supervisors/new", right="decider"),
    Route("supervisors.register_page", "POST", "/monitor/supervisors/new", right="decider",
          other_centre="decider_land", body=_register_form),
    Route("supervisors.entry", "GET", "/monitor/supervisors/{sup}", right="decider", other_centre="decider_land"),
    Route("supervisors.renew", "POST", "/monitor/supervisors/{sup}/renew", right="decider",
          other_centre="decider_land", body=lambda w: {"reason": "续聘"}),
    Route("supervisors.change_status", "POST", "/monitor/supervisors/{sup}/status", right="decider",
          other_centre="decider_land", body=lambda w: {"action": "suspend", "reason": "暂停"}),
    Route("supervisors.certificate", "GET", "/monitor/supervisors/{sup}/certificate.pdf", right="social",
          other_centre="decider_land"),
    Route("supervisors.mine", "GET", "/monitor/supervisors/me", right="social"),
    Route("supervisors.trade_page", "GET", "/monitor/trades/{trade}/supervision", right="supervisor",
          other_centre="supervisor_proc"),
    Route("supervisors.trade_draw", "POST", "/monitor/trades/{bare}/supervision/draw", right="decider",
          other_centre="decider_land"),
    Route("supervisors.trade_conflict", "POST", "/monitor/trades/{trade}/supervision/conflict", right="drawn",
          other_centre="social_proc", body=lambda w: {"reason": "利害关系"}),
    Route("supervisors.trade_recuse", "POST", "/monitor/trades/{trade}/supervision/recusals", right="decider",
          other_centre="decider_land", body=lambda w: {"drawn_id": str(w["drawn"].id), "reason": "利害关系"}),
    Route("supervisors.trade_signoff", "POST", "/monitor/trades/{trade}/supervision/signoffs", right="drawn",
          other_centre="social_proc", body=lambda w: {"stage": "opening_record", "decision": "signed"},
          signed="sign-off"),
    Route("supervisors.trade_record", "GET", "/monitor/trades/{trade}/supervision/record.pdf", right="supervisor",
          other_centre="supervisor_proc"),
    # ---- API ----
    Route("supervisors_api.list_social_supervisors", "GET", "/api/v1/supervisors", right="decider"),
    Route("supervisors_api.register_social_supervisor", "POST", "/api/v1/supervisors", right="decider",
          other_centre="decider_land", body=_register_body),
    Route("supervisors_api.get_social_supervisor", "GET", "/api/v1/supervisors/{sup}", right="decider",
          other_centre="decider_land"),
    Route("supervisors_api.renew_social_supervisor", "POST", "/api/v1/supervisors/{sup}/renewals", right="decider",
          other_centre="decider_land", body=lambda w: {}),
    Route("supervisors_api.change_social_supervisor_status", "POST", "/api/v1/supervisors/{sup}/status",
          right="decider", other_centre="decider_land", body=lambda w: {"action": "suspend", "reason": "暂停"}),
    Route("supervisors_api.get_social_supervisor_certificate", "GET", "/api/v1/supervisors/{sup}/certificate.pdf",
          right="social", other_centre="decider_land"),
    Route("supervisors_api.get_trade_supervision", "GET", "/api/v1/trades/{trade}/supervision", right="supervisor",
          other_centre="supervisor_proc"),
    Route("supervisors_api.create_supervisor_draw", "POST", "/api/v1/trades/{bare}/supervision/draws",
          right="decider", other_centre="decider_land"),
    Route("supervisors_api.commit_to_supervisor_draw", "POST", "/api/v1/trades/{fixed}/supervision/draws/1/commitments",
          right="supervisor", wrong="decider", other_centre="supervisor_proc",
          body=lambda w: {"commitment": hashlib.sha256(b"mine").hexdigest()}),
    Route("supervisors_api.reveal_to_supervisor_draw", "POST", "/api/v1/trades/{sealed}/supervision/draws/1/reveals",
          right="supervisor", wrong="decider", other_centre="supervisor_proc",
          body=lambda w: {"reveal": SECRET.hex()}),
    Route("supervisors_api.declare_supervisor_conflict", "POST", "/api/v1/trades/{trade}/supervision/conflicts",
          right="drawn", other_centre="social_proc", body=lambda w: {"reason": "利害关系"}),
    Route("supervisors_api.recuse_drawn_supervisor", "POST", "/api/v1/trades/{trade}/supervision/recusals",
          right="decider", other_centre="decider_land",
          body=lambda w: {"drawn_id": w["drawn"].id, "reason": "利害关系"}),
    Route("supervisors_api.create_supervisor_signoff", "POST", "/api/v1/trades/{trade}/supervision/signoffs",
          right="drawn", other_centre="social_proc", body=lambda w: {"stage": "opening_record", "decision": "signed"},
          signed="sign-off"),
    Route("supervisors_api.get_supervision_record_pdf", "GET", "/api/v1/trades/{trade}/supervision/record.pdf",
          right="supervisor", other_centre="supervisor_proc"),
]

KINDS = ("anonymous", "wrong", "other_centre", "right")
SECRET = bytes(range(32))
CASES = [pytest.param(r, k, id=f"{r.method} {r.endpoint}-{k}") for r in ROUTES for k in KINDS
         if k in ("anonymous", "right") or getattr(r, k)]


def test_table_matches_the_matrix_and_the_app(app):
    table = {(r.endpoint, r.method) for r in ROUTES}
    assert table == COVERED
    mine = {(rule.endpoint, m) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("supervisors")
            for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert mine == COVERED


@pytest.fixture
def world(db, users, make_user, make_trade, centres, clock):
    """Deciders and supervisors at WORKS and elsewhere, a trade nobody was drawn for (published before the
    registry existed) and one with a supervisor drawn, at OPENED."""
    users["decider_land"] = make_user("decider_land", (Role.DECISION_MAKER, "LAND"))
    users["supervisor_proc"] = make_user("supervisor_proc", (Role.ADMIN_SUPERVISOR, "PROC"))
    users["social_proc"] = make_user("social_proc", (Role.SOCIAL_SUPERVISOR, "PROC"))
    users["social2"] = make_user("social2", (Role.SOCIAL_SUPERVISOR, "WORKS"))
    users["social_x"] = make_user("social_x", (Role.SOCIAL_SUPERVISOR, "WORKS"))  # not registered yet
    users["social"].display_name, users["social2"].display_name = NAMES["social"], NAMES["social2"]
    bare = publish(db, make_trade, users, title="Bare trade")
    sup = register(db, users["decider"], users["social"], centres["WORKS"])
    register(db, users["decider"], users["social2"], centres["WORKS"])
    register(db, users["decider"], users["social_proc"], centres["PROC"])
    trade = publish(db, make_trade, users, title="Drawn trade")
    sealed = _fixed(db, make_trade, users, "Sealed round")
    rounds.commit(users["supervisor"], sealed, 1, hashlib.sha256(SECRET).hexdigest())
    db.session.commit()
    clock.freeze(supervisor_draws.pending(sealed).commit_until)
    rounds.run_due()
    db.session.commit()
    current_app.config["SUPERVISOR_DRAW_COMMIT_SECONDS"] = 90 * 86400  # still open after the walk below
    fixed = _fixed(db, make_trade, users, "Fixed round")
    current_app.config.pop("SUPERVISOR_DRAW_COMMIT_SECONDS")
    walk(db, trade, users, clock, S.OPENED)
    (drawn,) = supervisor_draws.serving(trade)
    assert set(WORKS_SOCIAL[:2]) >= {drawn.user.username}
    return {"users": users, "centres": centres, "bare": bare, "trade": trade, "sup": sup, "drawn": drawn,
            "fixed": fixed, "sealed": sealed}


def _fixed(db, make_trade, users, title):
    """A published trade whose first round is fixed and not drawn yet."""
    from tests.conftest import START, tender_timeline
    from trading.trades import services as trades

    trade = make_trade(title=title, **tender_timeline(START))
    for move, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, move, users[who])
    db.session.commit()
    return trade


@pytest.mark.parametrize("route,kind", CASES)
def test_supervisor_route_matrix(route: Route, kind: str, client, world):
    w = world
    path = route.path.format(trade=w["trade"].id, bare=w["bare"].id, sup=w["sup"].id, drawn=w["drawn"].id,
                             fixed=w["fixed"].id, sealed=w["sealed"].id)
    name = {"anonymous": None, "wrong": route.wrong, "other_centre": route.other_centre, "right": route.right}[kind]
    if name == "drawn":
        name = w["drawn"].user.username
    headers = {}
    if name and route.api:
        headers = api_headers(client, name)
    elif name:
        login(client, name)
    kwargs = {"headers": headers}
    if route.body:
        kwargs["json" if route.api else "data"] = route.body(w)
    if route.signed and name:  # a wrong caller is refused a statement too, and then the act itself
        body = kwargs["json" if route.api else "data"]
        params = {"trade_id": w["trade"].id, "stage": body["stage"], "decision": body["decision"]}
        body.update(api_signed(client, headers, route.signed, **params) if route.api
                    else page_signed(client, route.signed, **params))
    response = client.open(path, method=route.method, **kwargs)
    status = response.status_code
    text = response.get_data(as_text=True)[:400] if not response.mimetype.endswith("pdf") else ""
    if kind == "anonymous":
        if route.api:
            assert status == 401 and response.get_json()["code"] == "unauthenticated"
        else:
            assert status == 302 and response.headers["Location"].split("?")[0].endswith("/login")
    elif kind == "right":
        assert 200 <= status < 400, text
        if status in (301, 302, 303):
            assert "/login" not in response.headers["Location"]
        if route.method == "POST" and not route.api:  # a page action: it worked, it did not flash a refusal
            follow = client.get(response.headers["Location"]).get_data(as_text=True)
            assert 'class="flash error"' not in follow, follow[:2000]
    else:
        assert status == 403, (name, status, text)
        if route.api:
            assert response.get_json()["code"] in ("forbidden", "separation_of_duties")
