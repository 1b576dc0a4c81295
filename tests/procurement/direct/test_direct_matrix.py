"""Every single-source route × caller: anonymous (401, or the login page), a wrong role or another organisation
(403 or 404), the right one; each case at the stage where the right caller succeeds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from procurement.direct import services
from tests.conftest import api_headers, login
from tests.procurement.direct.helpers import notice_end, single_source
from trading.trades import services as trades


@dataclass
class Case:
    method: str
    path: str  # {trade}, {objection}, {supplier} filled from the scene
    stage: str
    right: str
    wrong: tuple[str, ...]
    json: dict | None = None
    ok: int = 200


AT = "2026-03-09T11:00:00+08:00"
RECORD = {"price": "450000.00", "negotiated_at": AT, "place": "谈判室", "cost_basis": "成本", "terms": "条款"}
BASE = "/api/v1/trades/{trade}/single-source"
CASES = [
    Case("POST", BASE + "/supplier", "draft", "tenderer", ("other_tenderer", "bidder", "decider", "staff"),
         json={"supplier_id": "{supplier}", "reason": "专利"}),
    Case("GET", BASE + "/objections/mine", "notice", "bidder", ("tenderer", "staff_proc")),
    Case("POST", BASE + "/objections", "notice", "other_tenderer", ("tenderer", "staff_proc", "decider"),
         json={"text": "另有供应商"}, ok=201),
    Case("POST", BASE + "/objections/{objection}/answer", "objected", "tenderer",
         ("other_tenderer", "bidder", "staff", "expert"), json={"answer": "不成立", "upheld": False}),
    Case("POST", BASE + "/negotiation/begin", "after", "staff_proc", ("tenderer", "bidder", "staff", "decider")),
    Case("POST", BASE + "/negotiation", "evaluating", "staff_proc", ("tenderer", "bidder", "staff", "expert"),
         json=RECORD, ok=201),
    Case("POST", BASE + "/negotiation/signatures", "recorded", "expert", ("bidder", "other_tenderer", "staff_proc"),
         json={"agrees": True}, ok=201),
    Case("POST", BASE + "/conclude", "signed", "staff_proc", ("tenderer", "bidder", "staff", "expert")),
]


def _fill(value, scene):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return scene[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, scene) for k, v in value.items()}
    return value


STAGES = ("draft", "notice", "objected", "after", "evaluating", "recorded", "signed")


def build(db, users, gp_trade, plan, clock, stage: str) -> dict:
    """A single source brought to `stage`, the clock where that stage's step is due."""
    scene = {"supplier": users["bidder"].organisation_id}
    if stage == "draft":
        scene["trade"] = gp_trade("gp_single_source", "500000.00").id
        return scene
    trade = single_source(db, users, gp_trade, plan)
    scene["trade"] = trade.id
    if stage == "notice":
        clock.freeze(notice_end() - timedelta(days=1))
        return scene
    if stage == "objected":
        clock.freeze(notice_end() - timedelta(days=1))
        scene["objection"] = services.file_objection(users["other_tenderer"], trade, "另有供应商").id
        db.session.commit()
        clock.freeze(notice_end() + timedelta(hours=1))
        return scene
    clock.freeze(notice_end() + timedelta(hours=1))
    if stage == "after":
        return scene
    services.begin_negotiation(users["staff_proc"], trade)
    evaluation.seat_member(users["staff_proc"], trade, users["expert"], SeatKind.EXPERT)
    db.session.commit()
    clock.freeze(notice_end() + timedelta(hours=3))
    if stage == "evaluating":
        return scene
    data = {**RECORD, "negotiated_at": notice_end() + timedelta(hours=2)}
    services.record_negotiation(users["staff_proc"], trade, data)
    db.session.commit()
    if stage == "recorded":
        return scene
    services.sign(users["expert"], trade, True)
    db.session.commit()
    return scene


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path} {c.stage}")
def test_single_source_route_matrix(db, client, users, gp_trade, plan, clock, case):
    scene = build(db, users, gp_trade, plan, clock, case.stage)
    path = case.path.format(**scene)
    body = _fill(case.json, scene) if case.json is not None else None
    anonymous = client.open(path, method=case.method, json=body)
    assert anonymous.status_code == 401, (path, anonymous.get_json())
    for who in case.wrong:
        response = client.open(path, method=case.method, json=body, headers=api_headers(client, who))
        assert response.status_code in (403, 404), (who, path, response.status_code, response.get_json())
    right = client.open(path, method=case.method, json=body, headers=api_headers(client, case.right))
    assert right.status_code == case.ok, (path, right.get_json())


def test_the_state_is_public_once_published_and_hidden_before(db, client, users, gp_trade, plan, clock):
    draft = gp_trade("gp_single_source", "500000.00")
    assert client.get(f"/api/v1/trades/{draft.id}/single-source").status_code == 401
    hidden = client.get(f"/api/v1/trades/{draft.id}/single-source", headers=api_headers(client, "bidder"))
    assert hidden.status_code == 404
    assert client.get(f"/procurement/trades/{draft.id}/single-source/objections").status_code == 404
    scene = build(db, users, gp_trade, plan, clock, "objected")
    public = client.get(f"/api/v1/trades/{scene['trade']}/single-source").get_json()
    assert public["objection_count"] == 1 and public["objections"] is None  # the texts to the purchaser only
    assert public["supplier"] == "Bidder Construction Co."
    mine = client.get(f"/api/v1/trades/{scene['trade']}/single-source",
                      headers=api_headers(client, "tenderer")).get_json()
    assert mine["objections"][0]["text"] == "另有供应商"
    other = gp_trade("gp_inquiry", "10000.00")
    assert client.get(f"/api/v1/trades/{other.id}/single-source").status_code == 404


PAGE_CASES = [
    # (page, stage, form, right, wrong)
    ("objections", "notice", {"action": "object", "text": "另有供应商"}, "other_tenderer", ("tenderer", "staff_proc")),
    ("objections", "objected", {"action": "answer", "objection_id": "{objection}", "answer": "不成立", "upheld": "0"},
     "tenderer", ("bidder", "staff")),
    ("negotiation", "draft", {"action": "supplier", "supplier_id": "{supplier}", "reason": "专利"}, "tenderer",
     ("bidder", "staff")),
    ("negotiation", "after", {"action": "begin"}, "staff_proc", ("tenderer", "expert", "staff")),
    ("negotiation", "evaluating", {"action": "record", **{k: v for k, v in RECORD.items() if k != "negotiated_at"},
                                   "negotiated_at": "2026-03-09T11:00"}, "staff_proc", ("tenderer", "staff")),
    ("negotiation", "recorded", {"action": "sign", "agrees": "1"}, "expert", ("bidder", "staff")),
    ("negotiation", "signed", {"action": "conclude"}, "staff_proc", ("tenderer", "staff")),
]


@pytest.mark.parametrize("page,stage,form,right,wrong", PAGE_CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_single_source_page_matrix(db, client, users, gp_trade, plan, clock, page, stage, form, right, wrong):
    scene = build(db, users, gp_trade, plan, clock, stage)
    url = f"/procurement/trades/{scene['trade']}/single-source/{page}"
    data = {k: str(_fill(v, scene)) for k, v in form.items()}
    anonymous = client.post(url, data=data)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    if page == "negotiation":
        assert client.get(url).status_code == 302
    for who in wrong:
        login(client, who)
        response = client.post(url, data=data)
        assert response.status_code in (403, 404), (who, url, response.status_code)
        client.post("/logout")
    login(client, right)
    if page == "negotiation":
        assert client.get(url).status_code == 200
    done = client.post(url, data=data)
    assert done.status_code == 302, done.get_data(as_text=True)[-3000:]
