"""Every methods route × caller: anonymous (401, or the sign-in page), a wrong role or another organisation (403 or
404), the right one. The invitees of a draft are its workers' business; once the trade is public, anyone's."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import pytest

from monitor.ticks import run_ticks
from procurement.methods import changes, services
from tests.conftest import START, api_headers, login, tender_timeline
from tests.procurement.methods.test_changes import _failed
from trading.accounts.roles import Role

SECRET = bytes(range(32))


@dataclass
class Case:
    method: str
    path: str  # {trade}, {fixed}, {sealed}, {failed}, {asked} filled from the scene
    right: str
    wrong: tuple[str, ...]  # each gets 403 or 404
    json: dict | None = None
    ok: int = 200


INVITEES = "/api/v1/trades/{trade}/invitees"
CASES = [
    # who is invited: the purchaser and the executing staff until the opening (Tendering Law Art 22), not the
    # deciders nor the supervisors, who contribute to the draw (tests/procurement/methods/test_invitee_privacy.py)
    Case("GET", INVITEES, "tenderer", ("other_tenderer", "bidder", "staff", "decider", "proc_supervisor")),
    Case("POST", INVITEES, "tenderer", ("other_tenderer", "bidder", "decider", "staff", "proc_supervisor"),
         json={"organisation_ids": "{three}", "reason": "written recommendation"}, ok=201),
    Case("POST", INVITEES + "/draws", "staff_proc", ("other_tenderer", "bidder", "decider", "proc_supervisor"),
         json={"count": 3}, ok=201),
    Case("POST", "/api/v1/trades/{fixed}/invitees/draws/1/commitments", "proc_supervisor",
         ("other_tenderer", "bidder", "tenderer", "staff_proc", "decider"),
         json={"commitment": hashlib.sha256(SECRET).hexdigest()}, ok=201),
    Case("POST", "/api/v1/trades/{sealed}/invitees/draws/1/reveals", "proc_supervisor",
         ("other_tenderer", "bidder", "tenderer", "staff_proc", "decider"), json={"reveal": SECRET.hex()}),
    Case("GET", "/api/v1/trades/{failed}/method-changes", "tenderer", ("other_tenderer", "bidder", "staff")),
    Case("POST", "/api/v1/trades/{failed}/method-changes", "staff_proc", ("other_tenderer", "bidder", "decider"),
         json={"to_method": "gp_single_source", "reason": "one supplier responded"}, ok=201),
    Case("POST", "/api/v1/trades/{asked}/method-changes/decision", "decider",
         ("other_tenderer", "bidder", "tenderer", "staff_proc", "proc_supervisor"),
         json={"approve": False, "reason": "tender again"}),
]


def _fill(value, scene):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return scene[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, scene) for k, v in value.items()}
    return value


@pytest.fixture
def scene(db, plan, gp_trade, suppliers, users, make_user, clock):
    users["proc_supervisor"] = make_user("proc_supervisor", (Role.ADMIN_SUPERVISOR, "PROC"))
    timeline = tender_timeline(START + timedelta(days=1))
    sealed = gp_trade("gp_invited_tender", "300000.00", **timeline)
    row = services.fix_draw(users["tenderer"], sealed, 3)
    from trading.draws import services as draws

    draws.commit(users["proc_supervisor"], sealed, "invitee-draw", 1, hashlib.sha256(SECRET).hexdigest())
    db.session.commit()
    clock.freeze(row.commit_until)
    run_ticks()  # the beacon is signed: reveals are open
    fixed = gp_trade("gp_invited_tender", "300000.00", **timeline)
    services.fix_draw(users["tenderer"], fixed, 3)
    db.session.commit()
    clock.freeze(START)
    failed = _failed(db, gp_trade, plan, users, clock, method="gp_invited_tender", price="200000.00")
    clock.freeze(START)
    asked = _failed(db, gp_trade, plan, users, clock, method="gp_invited_tender", price="200000.00")
    changes.request(users["tenderer"], asked, "gp_competitive_negotiation", "two responded")
    db.session.commit()
    clock.freeze(START)
    trade = gp_trade("gp_invited_tender", "300000.00", **timeline)
    return {"trade": trade.id, "fixed": fixed.id, "sealed": sealed.id, "failed": failed.id, "asked": asked.id,
            "three": [suppliers[w].organisation_id for w in ("bidder", "supplier_b", "supplier_c")]}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_methods_route_matrix(client, users, scene, case):
    path = case.path.format(**scene)
    body = _fill(case.json, scene) if case.json is not None else None
    anonymous = client.open(path, method=case.method, json=body)
    assert anonymous.status_code == 401, (path, anonymous.get_json())
    for who in case.wrong:
        response = client.open(path, method=case.method, json=body, headers=api_headers(client, who))
        assert response.status_code in (403, 404), (who, path, response.status_code)
    right = client.open(path, method=case.method, json=body, headers=api_headers(client, case.right))
    assert right.status_code == case.ok, (path, right.get_json())


PAGES = [
    ("/procurement/trades/{trade}/invitees", "tenderer", ("other_tenderer", "bidder", "staff", "decider",
                                                           "proc_supervisor")),
    ("/procurement/trades/{failed}/method-change", "decider", ("other_tenderer", "bidder", "staff")),
]


@pytest.mark.parametrize("path,right,wrong", PAGES, ids=lambda v: v if isinstance(v, str) else None)
def test_methods_pages_matrix(app, scene, path, right, wrong):
    url = path.format(**scene)
    assert app.test_client().get(url).status_code == 302  # to sign in
    assert app.test_client().post(url, data={}).status_code == 302
    for who in wrong:
        other = app.test_client()
        login(other, who)
        assert other.get(url).status_code in (403, 404), who
        assert other.post(url, data={"action": "request", "to_method": "gp_single_source", "reason": "x",
                                     "organisation_ids": scene["three"]}).status_code in (403, 404), who
    mine = app.test_client()
    login(mine, right)
    assert mine.get(url).status_code == 200


def test_the_invitees_stay_with_the_purchaser_and_the_centre_until_the_opening(app, client, db, invited, suppliers,
                                                                                users, clock):
    """Tendering Law Art 22: the potential bidders' names and number are not disclosed before the opening; an
    invited company learns of its own invitation on the bid page, nobody else reads the list."""
    from tests.procurement.methods.test_invitees import to_bidding

    services.publish_list(users["tenderer"], invited, [suppliers[w].organisation_id for w in
                                                       ("bidder", "supplier_b", "supplier_c")], "recommended")
    db.session.commit()
    to_bidding(db, invited, users, clock)
    assert client.get(f"/api/v1/trades/{invited.id}/invitees").status_code == 401
    assert app.test_client().get(f"/procurement/trades/{invited.id}/invitees").status_code in (302, 401)
    for who in ("bidder", "supplier_d"):  # an invitee and an outsider: neither reads who else is invited
        assert client.get(f"/api/v1/trades/{invited.id}/invitees",
                          headers=api_headers(client, who)).status_code in (403, 404)
    assert client.get(f"/api/v1/trades/{invited.id}/invitees",
                      headers=api_headers(client, "tenderer")).status_code == 200
    assert client.post(f"/api/v1/trades/{invited.id}/invitees", json={"count": 3}).status_code == 401
