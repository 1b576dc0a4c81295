"""Every negotiation route × caller: anonymous (401, or the login page), a wrong role, another organisation (a
supplier that did not respond, another purchaser) and a clerk of another centre (403 or 404), the right one.

The scene is a negotiation whose rounds have started; the routes whose work needs a later stage (a final quote
before the call, a share before the deadline) answer the right caller with their 409, past every permission."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from procurement.negotiation import services
from tests.conftest import api_headers, csrf_token, login
from tests.procurement.negotiation.conftest import org
from tests.procurement.negotiation.matrix_negotiation import COVERED


@dataclass
class Case:
    endpoint: str
    method: str
    path: str  # {t} the trade, {a} supplier A's organisation
    right: str
    wrong: tuple[str, ...]
    json: dict | None = None
    ok: int = 200
    form: dict = field(default_factory=dict)
    raw: bool = False  # an envelope upload (octet-stream)


T = "/api/v1/trades/{t}/negotiation"
P = "/procurement/trades/{t}/negotiation"
OUTSIDE = ("sup_x", "other_tenderer", "staff")  # a supplier not responding, another purchaser, a WORKS clerk
CASES = [
    Case("procurement_api.negotiation_get", "GET", T, "e1", ("sup_a", "tenderer", *OUTSIDE)),
    Case("procurement_api.negotiation_start", "POST", T, "staff_proc", ("e1", "sup_a", "tenderer", *OUTSIDE),
         ok=409),
    Case("procurement_api.negotiation_next_round", "POST", T + "/rounds", "e2",
         ("staff_proc", "sup_a", "tenderer", *OUTSIDE), json={"expected": 1}),
    Case("procurement_api.negotiation_thread", "GET", T + "/threads/{a}", "sup_a", ("sup_b", *OUTSIDE)),
    Case("procurement_api.negotiation_message", "POST", T + "/threads/{a}/messages", "e1",
         ("sup_b", "staff_proc", "tenderer", *OUTSIDE), json={"body": "请报分项价格"}, ok=201),
    Case("procurement_api.negotiation_mine", "GET", T + "/mine", "sup_b", ("e1", "tenderer", *OUTSIDE)),
    Case("procurement_api.negotiation_changes", "GET", T + "/changes", "tenderer", OUTSIDE),
    Case("procurement_api.negotiation_change", "POST", T + "/changes", "e3",
         ("staff_proc", "sup_a", "tenderer", *OUTSIDE), json={"kind": "contract", "body": "验收后付款"}, ok=201),
    Case("procurement_api.negotiation_set_aside", "POST", T + "/set-aside", "e1",
         ("staff_proc", "sup_a", "tenderer", *OUTSIDE), json={"organisation_id": "{c}", "reason": "不满足"}, ok=201),
    Case("procurement_api.negotiation_call", "POST", T + "/final-call", "e1",
         ("staff_proc", "sup_a", "tenderer", *OUTSIDE), json={"deadline": "2020-01-01T00:00:00+08:00"}, ok=422),
    Case("procurement_api.negotiation_quote", "POST", T + "/final-quotes", "sup_a",
         ("e1", "staff_proc", "tenderer", *OUTSIDE), ok=409, raw=True),
    Case("procurement_api.negotiation_final_share", "GET", T + "/final-share", "staff_proc2",
         ("e1", "sup_a", "tenderer", *OUTSIDE), ok=409),
    Case("procurement_api.negotiation_final_release", "POST", T + "/final-shares", "supervisor_proc",
         ("e1", "sup_a", "tenderer", *OUTSIDE), json={"share": "00"}, ok=409),
    Case("procurement_api.negotiation_open", "POST", T + "/final-opening", "staff_proc",
         ("e1", "sup_a", "tenderer", *OUTSIDE), ok=409),
]
PAGES = [
    Case("procurement.negotiation_page", "GET", P, "e1", ("sup_a", "tenderer", *OUTSIDE)),
    Case("procurement.negotiation_page", "POST", P, "e1", ("sup_a", "tenderer", *OUTSIDE), ok=302,
         form={"action": "round", "expected": "1"}),
    Case("procurement.negotiation_share", "GET", P + "/share", "staff_proc", ("e1", "sup_a", *OUTSIDE), ok=409),
    Case("procurement.negotiation_supplier_page", "GET", P + "/mine", "sup_a", ("e1", "tenderer", *OUTSIDE)),
    Case("procurement.negotiation_supplier_page", "POST", P + "/mine", "sup_a", ("e1", "tenderer", *OUTSIDE),
         ok=302, form={"body": "收到"}),
    Case("procurement.negotiation_quote_upload", "POST", P + "/mine/quote", "sup_a", ("e1", "tenderer", *OUTSIDE),
         ok=409, raw=True),
]


@pytest.fixture
def scene(db, cast, negotiating):
    services.start(cast["staff_proc"], negotiating)
    db.session.commit()
    return {"t": negotiating.id, "a": org(cast, "sup_a"), "c": org(cast, "sup_c")}


def _fill(value, scene):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return scene[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, scene) for k, v in value.items()}
    return value


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.endpoint}")
def test_api_route_matrix(client, cast, scene, case):
    path = case.path.format(**scene)
    body = _fill(case.json, scene) if case.json is not None else None

    def call(headers=None):
        if case.raw:
            return client.open(path, method=case.method, data=b"PRSB", content_type="application/octet-stream",
                               headers={**(headers or {}), "Content-Digest": "sha-256=:AAAA:"})
        return client.open(path, method=case.method, json=body, headers=headers)

    assert call().status_code == 401, path
    for who in case.wrong:
        response = call(api_headers(client, who))
        assert response.status_code in (403, 404), (who, path, response.status_code, response.get_json())
    right = call(api_headers(client, case.right))
    assert right.status_code == case.ok, (path, right.get_json())


@pytest.mark.parametrize("case", PAGES, ids=lambda c: f"{c.method} {c.endpoint}")
def test_page_route_matrix(app, cast, scene, case):
    path = case.path.format(**scene)

    def call(c):
        token = csrf_token(c.get(f"/procurement/trades/{scene['t']}/negotiation").get_data(as_text=True)) \
            if case.method == "POST" and not case.raw else None
        if case.raw:
            page = c.get(f"/procurement/trades/{scene['t']}/negotiation/mine").get_data(as_text=True)
            import re

            match = re.search(r'data-csrf="([^"]+)"', page)
            return c.open(path, method="POST", data=b"PRSB", content_type="application/octet-stream",
                          headers={"X-CSRFToken": match.group(1) if match else "", "Content-Digest": "sha-256=:AAAA:"})
        if case.method == "POST":
            return c.post(path, data={**case.form, "csrf_token": token or ""})
        return c.get(path)

    anonymous = app.test_client()
    response = anonymous.open(path, method=case.method, data=case.form if case.method == "POST" else None)
    assert response.status_code in (302, 400, 401), (path, response.status_code)
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
    for who in case.wrong:
        c = app.test_client()
        login(c, who)
        if case.method == "POST" and not case.raw:
            # a wrong caller has no page to take a token from: the workspace gives one
            token = csrf_token(c.get("/workspace/").get_data(as_text=True))
            response = c.post(path, data={**case.form, "csrf_token": token})
        elif case.raw:
            token = csrf_token(c.get("/workspace/").get_data(as_text=True))
            response = c.open(path, method="POST", data=b"PRSB", content_type="application/octet-stream",
                              headers={"X-CSRFToken": token, "Content-Digest": "sha-256=:AAAA:"})
        else:
            response = c.get(path)
        assert response.status_code in (403, 404), (who, path, response.status_code)
    c = app.test_client()
    login(c, case.right)
    assert call(c).status_code == case.ok, path


def test_the_table_names_every_route_walked():
    assert {(c.endpoint, c.method) for c in CASES + PAGES} == COVERED
