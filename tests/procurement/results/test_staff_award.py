"""The centre's staff may not award a government procurement on bidding.award's own route (API or page): the
purchaser decides on its results page (O87 68), or the platform on its silence; a works trade is unaffected
(tests/bidding/award)."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.award.models import AwardDecision
from tests.bidding.award.helpers import local
from tests.conftest import api_headers, csrf_token, login
from trading.trades.flows import TradeState


def _awards(db, trade) -> int:
    return db.session.scalar(sa.select(sa.func.count(AwardDecision.id)).where(AwardDecision.trade_id == trade.id))


def test_staff_award_is_refused_the_purchaser_then_decides(client, db, gp_publicity, proc_people, clock):
    clock.freeze(local(2026, 3, 30, 10, 0))  # publicity over, the purchaser's period running
    trade = gp_publicity
    got = client.post(f"/api/v1/trades/{trade.id}/award/decision", json={"disqualified": []},
                      headers={**api_headers(client, "staff"), "Accept-Language": "en"})
    assert got.status_code == 409, got.get_json()
    body = got.get_json()
    assert body["code"] == "purchaser_decides"
    assert f"/procurement/trades/{trade.id}/results" in body["message"] and "Order 87 Art. 68" in body["message"]
    db.session.expire_all()
    assert trade.state is TradeState.PUBLICITY and _awards(db, trade) == 0  # no partial state
    decided = client.post(f"/api/v1/trades/{trade.id}/award-decision", json={},
                          headers=api_headers(client, "tenderer"))
    assert decided.status_code == 201, decided.get_json()
    db.session.expire_all()
    assert trade.state is TradeState.AWARDED and _awards(db, trade) == 1


def test_staff_award_page_is_refused(client, db, gp_publicity, proc_people, clock):
    clock.freeze(local(2026, 3, 30, 10, 0))
    trade = gp_publicity
    login(client, "staff")
    page = client.get(f"/bidding/trades/{trade.id}/award")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # no award form that could only fail: a line saying the purchaser decides, linking to the results page
    assert 'id="award-form"' not in html and "/award/decision" not in html
    assert 'id="award-elsewhere"' in html and f'href="/procurement/trades/{trade.id}/results"' in html
    assert "采购人" in html  # Chinese first
    english = client.get(f"/bidding/trades/{trade.id}/award?lang=en")
    assert "The purchaser decides the award of this government procurement" in english.get_data(as_text=True)
    assert client.get(f"/procurement/trades/{trade.id}/results").status_code == 200  # the link leads somewhere
    got = client.post(f"/bidding/trades/{trade.id}/award/decision",
                      data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert got.status_code == 409
    db.session.expire_all()
    assert trade.state is TradeState.PUBLICITY and _awards(db, trade) == 0


def test_the_platform_still_awards_on_the_purchasers_silence(client, db, gp_publicity, clock):
    from procurement.results import services

    clock.freeze(services.decision_due(gp_publicity))
    assert services.award_due() == [gp_publicity.ref]
    db.session.expire_all()
    assert gp_publicity.state is TradeState.AWARDED and _awards(db, gp_publicity) == 1
