"""Every plans route × caller: anonymous (401), a wrong role or another organisation (403 or 404), the right one."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import api_headers


@dataclass
class Case:
    method: str
    path: str  # {plan}, {line}, {trade} filled from the scene
    right: str
    wrong: tuple[str, ...]  # each gets 403 or 404
    json: dict | None = None
    ok: int = 200


CASES = [
    Case("GET", "/api/v1/procurement/plans", "tenderer", ()),
    Case("POST", "/api/v1/procurement/plans", "tenderer", ("bidder", "expert", "supervisor"),
         json={"centre_id": "{proc}", "year": 2027, "title": "2027 plan"}, ok=201),
    Case("GET", "/api/v1/procurement/plans/{plan}", "staff_proc", ("other_tenderer", "bidder", "staff")),
    Case("POST", "/api/v1/procurement/plans/{plan}/lines", "tenderer", ("other_tenderer", "bidder", "decider"),
         json={"fund_source": "own_funds", "category_code": "A05010000", "description": "Desks",
               "amount": "50000.00"}, ok=201),
    Case("POST", "/api/v1/trades/{trade}/budget-draw", "tenderer", ("other_tenderer", "bidder", "decider", "staff"),
         json={"line_id": "{line}"}, ok=201),
    Case("POST", "/api/v1/trades/{trade}/method-approval", "decider", ("tenderer", "staff_proc", "bidder"),
         json={"reason": "only two suppliers exist"}, ok=201),
    Case("GET", "/api/v1/procurement/savings?group=purchaser", "tenderer", ("bidder", "expert")),
]


def _fill(value, scene):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return scene[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, scene) for k, v in value.items()}
    return value


@pytest.fixture
def scene(plan, gp_trade, centres):
    return {"plan": plan.id, "line": plan.lines[0].id, "trade": gp_trade("gp_inquiry", "10000.00").id,
            "proc": centres["PROC"].id}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_plans_route_matrix(client, users, scene, case):
    path = case.path.format(**scene)
    body = _fill(case.json, scene) if case.json is not None else None
    anonymous = client.open(path, method=case.method, json=body)
    assert anonymous.status_code == 401, (path, anonymous.get_json())
    for who in case.wrong:
        response = client.open(path, method=case.method, json=body, headers=api_headers(client, who))
        assert response.status_code in (403, 404), (who, path, response.status_code)
    right = client.open(path, method=case.method, json=body, headers=api_headers(client, case.right))
    assert right.status_code == case.ok, (path, right.get_json())


def test_route_tables_name_every_procurement_route(app):
    """Each procurement route is in some sub-package's table (tests/procurement/matrices.py), and none is stale."""
    from tests.procurement.matrices import COVERED, PUBLIC

    rules = {(r.endpoint, m) for r in app.url_map.iter_rules() if r.endpoint.startswith("procurement")
             for m in r.methods - {"HEAD", "OPTIONS"}}
    assert rules == COVERED | PUBLIC
