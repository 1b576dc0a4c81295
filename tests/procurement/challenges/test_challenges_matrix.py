"""Every challenges route × caller: anonymous (401), a wrong role or another organisation (403 or 404), the right
one; and the public routes read by anyone without the filer."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import api_headers, login
from tests.procurement.challenges.conftest import local


@dataclass
class Case:
    method: str
    path: str  # {trade}, {question}, {challenge}, {complaint} filled from the scene
    right: str
    wrong: tuple[str, ...]  # each gets 403 or 404
    json: dict | None = None
    ok: int = 200


CASES = [
    Case("POST", "/api/v1/trades/{trade}/challenges", "bidder2",
         ("tenderer", "other_tenderer", "staff_proc", "decider", "finance", "expert"),
         json={"kind": "question", "text": "交货地点？"}, ok=201),
    Case("POST", "/api/v1/trades/{trade}/challenges/{question}/answer", "tenderer",
         ("other_tenderer", "bidder", "bidder2", "finance", "decider", "staff"), json={"answer": "市内各校。"}),
    Case("POST", "/api/v1/trades/{trade}/challenges/{complaint}/answer", "finance",
         ("tenderer", "staff_proc", "bidder", "decider", "supervisor"), json={"answer": "驳回。", "outcome": "dismissed"}),
    Case("POST", "/api/v1/trades/{trade}/challenges/{challenge2}/suspension", "staff_proc",
         ("other_tenderer", "bidder", "decider", "staff"), json={"suspend": True}),
]


@pytest.fixture
def scene(db, client, tender, clock):
    clock.freeze(local(2026, 3, 5, 10, 0))
    made = {}
    for name, who, body in (("question", "bidder", {"kind": "question"}),
                            ("challenge", "bidder", {"kind": "challenge", "about": "documents"}),
                            ("challenge2", "bidder", {"kind": "challenge", "about": "documents"})):
        response = client.post(f"/api/v1/trades/{tender.id}/challenges", json={"text": "事项", **body},
                               headers=api_headers(client, who))
        assert response.status_code == 201, response.get_json()
        made[name] = response.get_json()["id"]
    clock.freeze(local(2026, 3, 17, 9, 0))  # the challenge's answer period is over: a complaint may follow
    response = client.post(f"/api/v1/trades/{tender.id}/challenges", headers=api_headers(client, "bidder"),
                           json={"kind": "complaint", "challenge_id": made["challenge"], "text": "未获答复"})
    assert response.status_code == 201, response.get_json()
    return {"trade": tender.id, "complaint": response.get_json()["id"], **made}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_challenges_route_matrix(client, cast, scene, case):
    path = case.path.format(**scene)
    anonymous = client.open(path, method=case.method, json=case.json)
    assert anonymous.status_code == 401, (path, anonymous.get_json())
    for who in case.wrong:
        response = client.open(path, method=case.method, json=case.json, headers=api_headers(client, who))
        assert response.status_code in (403, 404), (who, path, response.status_code)
    right = client.open(path, method=case.method, json=case.json, headers=api_headers(client, case.right))
    assert right.status_code == case.ok, (path, right.get_json())


def test_the_page_form_posts_need_the_right_person(app, client, cast, scene):
    """The trade page's forms: anonymous is sent to sign in, a wrong role is refused, the right one acts."""
    url = f"/procurement/trades/{scene['trade']}/challenges"
    anonymous = client.post(url, data={"action": "file", "kind": "question", "text": "问"})
    assert anonymous.status_code in (302, 401)
    for who, data in (("tenderer", {"action": "file", "kind": "question", "text": "问"}),
                      ("bidder", {"action": "answer", "filing_id": str(scene["question"]), "answer": "答"}),
                      ("staff_proc", {"action": "answer", "filing_id": str(scene["complaint"]), "answer": "答",
                                      "outcome": "upheld"})):
        other = app.test_client()
        login(other, who)
        assert other.post(url, data=data).status_code == 403, who
    right = app.test_client()
    login(right, "bidder2")
    done = right.post(url, data={"action": "file", "kind": "question", "text": "交货期？"})
    assert done.status_code == 302, done.get_data(as_text=True)[:300]
    clerk = app.test_client()
    login(clerk, "staff_proc")
    answered = clerk.post(url, data={"action": "answer", "filing_id": str(scene["question"]), "answer": "三十日。"})
    assert answered.status_code == 302
    no_documents = right.post(url, data={"action": "file", "kind": "challenge", "about": "documents", "text": "x"})
    assert no_documents.status_code == 403  # bidder2 never obtained the documents


def test_public_routes_answer_anyone_and_hide_other_trades(client, cast, scene, make_trade, centres):
    for url in ("/api/v1/procurement/challenges", f"/api/v1/trades/{scene['trade']}/challenges",
                "/procurement/challenges", f"/procurement/trades/{scene['trade']}/challenges"):
        assert client.get(url).status_code == 200, url
    works = make_trade()  # a works draft: no procurement page, and not public
    assert client.get(f"/procurement/trades/{works.id}/challenges").status_code == 404
    assert client.get(f"/api/v1/trades/{works.id}/challenges").status_code == 404
    draft = make_trade(actor=cast["staff_proc"], centre_id=centres["PROC"].id, method="gp_inquiry",
                       bid_security=None)
    assert client.get(f"/api/v1/trades/{draft.id}/challenges").status_code == 401
    assert client.get(f"/api/v1/trades/{draft.id}/challenges",
                      headers=api_headers(client, "bidder")).status_code == 404
    assert client.get(f"/api/v1/trades/{draft.id}/challenges",
                      headers=api_headers(client, "tenderer")).status_code == 200
