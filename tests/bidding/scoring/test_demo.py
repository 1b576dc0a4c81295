"""The demo's scoring: the tender under evaluation has its plan and two submitted sheets; the demo expert scores
on a sheet of their own and sees none of the others' until submitting."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.scoring import services
from bidding.scoring.demo import SUBMITTED, TITLE
from trading.demo import DEMO_PASSWORD, load_demo
from trading.trades.models import Trade


def test_the_demo_tender_is_being_scored(app, db):
    load_demo()
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
    plan = services.plan_of(trade)
    assert plan.method == "comprehensive" and plan.price_weight == 40 and len(plan.criteria) == 3
    assert sorted(s.user.username for s in services.submitted_sheets(trade)) == sorted(SUBMITTED)
    assert not services.scoring_complete(trade) and services.final_ranking(trade) == []
    client = app.test_client()
    assert client.post("/login", data={"username": "expert", "password": DEMO_PASSWORD}).status_code == 302
    assert f"/bidding/trades/{trade.id}/scoring" in client.get("/workspace/").get_data(as_text=True)
    html = client.get(f"/bidding/trades/{trade.id}/scoring").get_data(as_text=True)
    assert 'id="sheet-form"' in html and "sheet-table" not in html
    staff = app.test_client()
    assert staff.post("/login", data={"username": "staff.works", "password": DEMO_PASSWORD}).status_code == 302
    assert 'id="scoring-link"' in staff.get(f"/workspace/trades/{trade.id}").get_data(as_text=True)
