"""Card pages and API over real HTTP: a red card issued, assigned, answered and closed; refused steps;
pausing and resuming a trade with a reason (refused without one); the deposits page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.cards.models import CardState
from tests.conftest import api_headers, login as _login
from tests.monitor.cards.cards_fixtures import DEADLINE, cards, go, make_tender, tick, walk  # noqa: F401
from trading.trades.flows import TradeState


@pytest.fixture
def red(db, users, make_tender):
    trade = make_tender()
    go(DEADLINE)
    walk(db, trade, users["staff"], "close")
    go(DEADLINE + timedelta(minutes=20))
    tick()
    go(DEADLINE + timedelta(minutes=45))
    tick()
    [card] = cards(db, trade, "works.opening_on_time")
    return card


def login(client, username: str) -> None:
    """Sign in and read the pages in English (the assertions quote English text)."""
    _login(client, username)
    client.get("/lang/en")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_red_card_issued_assigned_answered_closed_through_the_pages(app, db, users, red):
    card_url = f"/monitor/cards/{red.id}"
    supervisor, staff = app.test_client(), app.test_client()
    login(supervisor, "supervisor")
    login(staff, "staff")

    page = supervisor.get("/monitor/cards?level=red")
    assert page.status_code == 200 and card_url in page.get_data(as_text=True)
    assert card_url not in supervisor.get("/monitor/cards?level=yellow").get_data(as_text=True)

    html = supervisor.get(card_url).get_data(as_text=True)
    text = _text(html)
    assert "Red card" in text and "Overdue" in text and "Tendering Law Art. 34" in text
    assert 'data-move="assign"' in html and 'data-move="close"' not in html
    assert re.search(rf'<option value="{users["staff"].id}" selected>', html), "the responsible clerk is suggested"

    r = supervisor.post(f"{card_url}/moves", data={"move": "assign", "assignee_id": users["staff"].id,
                                                   "text": "Explain why the opening started late."})
    assert r.status_code == 302
    assert staff.get("/monitor/cards").status_code == 200
    html = staff.get(card_url).get_data(as_text=True)
    assert 'data-move="answer"' in html

    r = staff.post(f"{card_url}/moves", data={"move": "answer", "text": ""})
    assert r.status_code == 422 and "required for this step" in r.get_data(as_text=True)
    r = staff.post(f"{card_url}/moves", data={"move": "answer",
                                              "text": "Two keyholders were stuck in traffic; opening began 09:52."})
    assert r.status_code == 302

    r = supervisor.post(f"{card_url}/moves", data={"move": "close",
                                                   "text": "Accepted. Keyholders must arrive 30 minutes early."})
    assert r.status_code == 302
    html = supervisor.get(card_url).get_data(as_text=True)
    text = _text(html)
    for step in ("Issued", "Escalated to red", "Assigned", "Answered", "Closed"):
        assert step in text
    assert 'aria-current="step">Closed' in html and "audit entry #" in text
    assert "stuck in traffic" in text and "Keyholders must arrive" in text
    db.session.expire_all()
    assert red.state is CardState.CLOSED
    # the card's trade page lists it; the list of open cards no longer does
    assert card_url in supervisor.get(f"/monitor/trades/{red.trade_id}/cards").get_data(as_text=True)
    assert card_url not in supervisor.get("/monitor/cards").get_data(as_text=True)
    assert card_url in supervisor.get("/monitor/cards?state=all").get_data(as_text=True)


def test_steps_refused_on_the_pages(app, db, users, red):
    social = app.test_client()
    login(social, "social")
    html = social.get(f"/monitor/cards/{red.id}").get_data(as_text=True)
    assert "data-move=" not in html  # social supervisors read; they do not handle
    r = social.post(f"/monitor/cards/{red.id}/moves", data={"move": "assign", "assignee_id": users["staff"].id})
    assert r.status_code == 403
    supervisor = app.test_client()
    login(supervisor, "supervisor")
    r = supervisor.post(f"/monitor/cards/{red.id}/moves", data={"move": "close", "text": "no"})
    assert r.status_code == 409  # not answered yet
    r = supervisor.post(f"/monitor/cards/{red.id}/moves", data={"move": "assign", "assignee_id": users["bidder"].id})
    assert r.status_code == 422 and "executing staff of this centre" in r.get_data(as_text=True)


def test_card_api_round_trip(client, db, users, red):
    sup, staff = api_headers(client, "supervisor"), api_headers(client, "staff")
    body = client.get(f"/api/v1/cards/{red.id}", headers=sup).get_json()
    assert body["level"] == "red" and body["state"] == "issued" and body["allowed_moves"] == ["assign"]
    assert [e["move"] for e in body["events"]] == ["issue", "escalate"]
    assert all(isinstance(e["audit_index"], int) for e in body["events"])
    r = client.post(f"/api/v1/cards/{red.id}/transitions", headers=sup,
                    json={"move": "assign", "assignee_id": users["staff"].id})
    assert r.status_code == 201 and r.get_json()["state"] == "assigned"
    r = client.post(f"/api/v1/cards/{red.id}/transitions", headers=staff, json={"move": "answer"})
    assert r.status_code == 422 and r.get_json()["field"] == "text"
    r = client.post(f"/api/v1/cards/{red.id}/transitions", headers=staff, json={"move": "resolve"})
    assert r.status_code == 422 and r.get_json()["field"] == "move"  # the platform's steps are not offered
    r = client.post(f"/api/v1/cards/{red.id}/transitions", headers=staff, json={"move": "answer", "text": "done"})
    assert r.status_code == 201 and r.get_json()["allowed_moves"] == []
    listed = client.get("/api/v1/cards?state=answered&level=red", headers=sup).get_json()
    assert [c["id"] for c in listed] == [red.id]
    assert client.get("/api/v1/cards?level=purple", headers=sup).status_code == 422
    assert [c["id"] for c in client.get(f"/api/v1/trades/{red.trade_id}/cards", headers=sup).get_json()] == [red.id]


def test_pause_and_resume_need_a_reason(app, client, db, users, make_tender):
    trade = make_tender()
    login(client, "supervisor")
    r = client.post(f"/monitor/trades/{trade.id}/pause", data={"reason": "  "})
    assert r.status_code == 422 and "a reason is required" in r.get_data(as_text=True)
    db.session.expire_all()
    assert trade.state is TradeState.BIDDING
    r = client.post(f"/monitor/trades/{trade.id}/pause", data={"reason": "Complaint about the qualification terms"})
    assert r.status_code == 302
    db.session.expire_all()
    assert trade.state is TradeState.SUSPENDED and trade.suspended_from is TradeState.BIDDING
    last = trade.history[-1]
    assert (last.move, last.actor_id, last.reason) == ("suspend", users["supervisor"].id,
                                                      "Complaint about the qualification terms")
    page = client.get(f"/monitor/trades/{trade.id}/cards").get_data(as_text=True)
    assert 'data-action="resume"' in page

    api = app.test_client()
    headers = api_headers(api, "supervisor")
    r = api.post(f"/api/v1/trades/{trade.id}/resume", headers=headers, json={})
    assert r.status_code == 422 and r.get_json()["field"] == "reason"
    r = api.post(f"/api/v1/trades/{trade.id}/resume", headers=headers, json={"reason": ""})
    assert r.status_code == 422 and r.get_json()["field"] == "reason"
    r = api.post(f"/api/v1/trades/{trade.id}/resume", headers=headers, json={"reason": "Complaint rejected"})
    assert r.status_code == 201 and r.get_json()["to_state"] == "bidding"
    db.session.expire_all()
    assert trade.state is TradeState.BIDDING
    r = api.post(f"/api/v1/trades/{trade.id}/pause", headers=api_headers(api, "staff"), json={"reason": "x"})
    assert r.status_code == 403  # staff suspend through their own workspace, not the supervisors' call


def test_pause_form_on_the_card_page_returns_to_the_card(app, client, db, users, red):
    login(client, "supervisor")
    assert 'data-action="pause"' in client.get(f"/monitor/cards/{red.id}").get_data(as_text=True)
    r = client.post(f"/monitor/trades/{red.trade_id}/pause", data={"reason": "Opening delayed", "card_id": red.id})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/monitor/cards/{red.id}")
    r = client.post(f"/monitor/trades/{red.trade_id}/resume", data={"reason": "", "card_id": red.id})
    assert r.status_code == 422 and "a reason is required" in r.get_data(as_text=True)


def test_deposits_page_records_and_settles(app, client, db, users, make_tender):
    from bidding.deposits.models import BidDeposit

    trade = make_tender()
    login(client, "staff")
    org = users["bidder"].organisation_id
    r = client.post(f"/bidding/trades/{trade.id}/deposits", data={"organisation_id": org, "amount": "100000.01"})
    assert r.status_code == 422 and "may not exceed the bid security" in r.get_data(as_text=True)
    r = client.post(f"/bidding/trades/{trade.id}/deposits", data={"organisation_id": org, "amount": "100000.00",
                                                                 "paid_at": "2026-03-02T08:30"})
    assert r.status_code == 302
    deposit = db.session.scalar(sa.select(BidDeposit))
    assert str(deposit.amount) == "100000.00"
    r = client.post(f"/bidding/trades/{trade.id}/deposits/{deposit.id}/settle", data={"how": "retain"})
    assert r.status_code == 422  # keeping a deposit needs a reason
    r = client.post(f"/bidding/trades/{trade.id}/deposits/{deposit.id}/settle", data={"how": "refund"})
    assert r.status_code == 302
    db.session.expire_all()
    assert deposit.refunded_at is not None
    r = client.post(f"/bidding/trades/{trade.id}/deposits/{deposit.id}/settle", data={"how": "refund"})
    assert r.status_code == 409
