"""The demo's evaluation room: after loading the demo the opened works tender is under evaluation with a
committee of five, mid-review, and one clarification asked; the demo expert and the bidder asked see it."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.evaluation import review
from bidding.evaluation.demo import MEMBERS, TITLE
from bidding.evaluation.models import BidClarification
from bidding.evaluation.permissions import sitting_members
from trading.demo import DEMO_PASSWORD, load_demo
from trading.trades.flows import TradeState
from trading.trades.models import Trade


def test_the_demo_gives_the_opened_tender_a_committee_mid_review(app, db):
    load_demo()
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
    assert trade.state is TradeState.EVALUATING and len(sitting_members(trade)) == len(MEMBERS) == 5
    found = review.conclusions(trade)
    cells = [c for row in found.values() for c in row.values()]
    assert cells and all(c.result == "pending" for c in cells)  # mid-review: nothing concluded yet
    question = db.session.scalar(sa.select(BidClarification))
    assert question.status == "open" and question.organisation.name == "正源市政建设集团有限公司"
    client = app.test_client()
    for who, sees in (("expert", True), ("bidder4", True), ("bidder2", False)):
        client.post("/logout")
        assert client.post("/login", data={"username": who, "password": DEMO_PASSWORD}).status_code == 302
        assert (f"/bidding/trades/{trade.id}/evaluation" in client.get("/workspace/").get_data(as_text=True)) is sees
        page = client.get(f"/bidding/trades/{trade.id}/evaluation")
        assert page.status_code == 200 and ("冬季施工措施" in page.get_data(as_text=True)) is sees, who
