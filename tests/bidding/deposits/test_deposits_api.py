"""The deposits API of bidding/deposits/ (registered by the app factory): record, list, settle, refuse."""
from __future__ import annotations

from tests.conftest import api_headers
from tests.monitor.cards.cards_fixtures import make_tender  # noqa: F401  (fixture)


def test_record_list_settle_through_the_api(app, client, db, users, make_tender):
    trade = make_tender()
    staff, supervisor, bidder = (api_headers(client, name) for name in ("staff", "supervisor", "bidder"))
    org = users["bidder"].organisation_id
    url = f"/api/v1/trades/{trade.id}/deposits"

    too_much = client.post(url, json={"organisation_id": org, "amount": "100000.01"}, headers=staff)
    assert too_much.status_code == 422 and too_much.get_json()["field"] == "amount"
    assert client.post(url, json={"organisation_id": org, "amount": "100000.00"}, headers=supervisor).status_code == 403
    made = client.post(url, json={"organisation_id": org, "amount": "100000.00", "note": "转账"}, headers=staff)
    assert made.status_code == 201, made.get_json()
    deposit = made.get_json()
    assert deposit["amount"] == "100000.00" and deposit["refunded_at"] is None

    assert [d["id"] for d in client.get(url, headers=staff).get_json()] == [deposit["id"]]
    assert client.get(url, headers=bidder).status_code == 403

    settle = f"{url}/{deposit['id']}/settle"
    no_reason = client.post(settle, json={"how": "retain"}, headers=staff)
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "note"
    assert client.post(f"{url}/{deposit['id'] + 999}/settle", json={"how": "refund"}, headers=staff).status_code == 404
    refunded = client.post(settle, json={"how": "refund"}, headers=staff)
    assert refunded.status_code == 200 and refunded.get_json()["refunded_at"] is not None
    assert client.post(settle, json={"how": "refund"}, headers=staff).status_code == 409
