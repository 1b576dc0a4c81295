"""A method that takes sealed bids is approved only with its keyholders appointed and enrolled (the approval
makes the opening key and seals a share to each); a trade that takes no electronic bids never offers the bid
button (issue 9)."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.keyholders.models import OpeningKey
from tests.conftest import START, api_headers, login, tender_timeline
from trading.trades import services as trades
from trading.trades.flows import TradeState

BUTTON = "/bid\""  # the bid page's link ends in /bid


def _approve(client, trade, lang: str = "zh-CN"):
    return client.post(f"/api/v1/trades/{trade.id}/transitions", json={"move": "approve"},
                       headers={**api_headers(client, "decider"), "Accept-Language": lang})


def test_sealed_bid_method_without_keyholders_is_not_approved(db, client, users, make_trade):
    trade = make_trade(paper_bids=False, **tender_timeline(START))
    trades.move(trade, "submit", users["staff"])
    db.session.commit()
    response = _approve(client, trade)
    body = response.get_json()
    assert response.status_code == 409 and body["code"] == "keyholders_missing"
    assert "持钥人" in body["message"] and "至少2名执行方" in body["message"]  # the rule, in Chinese first
    english = _approve(client, trade, "en").get_json()["message"]
    assert "keyholder rule: at least 2 executing and 1 supervising keyholders" in english
    db.session.expire_all()
    assert trade.state is TradeState.SUBMITTED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpeningKey)) == 0


def test_with_keyholders_enrolled_it_is_approved_and_offers_the_bid_button(db, client, keyholding, make_trade):
    trade = make_trade(paper_bids=False, **tender_timeline(START))
    response = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                           json={"execute": [keyholding["staff"].id, keyholding["staff2"].id],
                                 "supervise": [keyholding["supervisor"].id]})
    assert response.status_code == 201, response.get_json()
    trades.move(trade, "submit", keyholding["staff"])
    db.session.commit()
    assert _approve(client, trade).status_code == 201
    trades.move(trade, "publish", keyholding["staff"])
    db.session.commit()
    login(client, "bidder")
    page = client.get(f"/trades/{trade.ref}").get_data(as_text=True)
    assert f"/bidding/trades/{trade.id}/bid\"" in page


def test_a_trade_taking_bids_on_paper_needs_no_keyholders_and_offers_no_bid_button(db, client, users, make_trade):
    trade = make_trade(paper_bids=True, **tender_timeline(START))
    assert trade.paper_bids is True
    refused = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                          json={"execute": [users["staff"].id], "supervise": [users["supervisor"].id]})
    assert refused.status_code == 409 and refused.get_json()["code"] == "no_electronic_bids"
    trades.move(trade, "submit", users["staff"])
    db.session.commit()
    assert _approve(client, trade).status_code == 201
    trades.move(trade, "publish", users["staff"])
    db.session.commit()
    assert trade.state is TradeState.BIDDING and not trade.takes_electronic_bids
    login(client, "bidder")
    page = client.get(f"/trades/{trade.ref}").get_data(as_text=True)
    assert trade.title in page
    assert f"/bidding/trades/{trade.id}/bid" not in page  # before: "提交密封投标" leading to "no opening key"


def test_single_source_takes_no_sealed_bids(db, client, users, make_trade, centres):
    trade = make_trade(actor=users["staff_proc"], centre_id=centres["PROC"].id, method="gp_single_source",
                       paper_bids=False, **tender_timeline(START, days=10))
    trades.move(trade, "submit", users["staff_proc"])
    db.session.commit()
    assert _approve(client, trade).status_code == 201
    assert not trade.takes_electronic_bids


def test_paper_bids_through_the_form_and_the_api(db, client, users, centres):
    login(client, "staff")
    data = {"centre_id": centres["WORKS"].id, "method": "works_open_tender",
            "tenderer_id": users["tenderer"].organisation_id, "title": "Paper tender", "description": "",
            "estimated_price": "5000000.00", "paper_bids": "1",
            **{k: v.strftime("%Y-%m-%dT%H:%M") for k, v in tender_timeline(START).items()}}
    response = client.post("/workspace/trades/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    from trading.trades.models import Trade
    assert db.session.scalar(sa.select(Trade).where(Trade.title == "Paper tender")).paper_bids is True
    api = client.post("/api/v1/trades", headers=api_headers(client, "staff"),
                      json={"centre_id": centres["WORKS"].id, "method": "works_open_tender", "title": "Sealed tender",
                            "tenderer_id": users["tenderer"].organisation_id, "estimated_price": "5000000.00",
                            **{k: v.isoformat() for k, v in tender_timeline(START).items()}})
    assert api.status_code == 201 and api.get_json()["paper_bids"] is False
