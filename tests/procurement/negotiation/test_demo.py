"""The demo's competitive negotiation: in its first round after `make run`, ready for the panel and suppliers."""
from __future__ import annotations

import sqlalchemy as sa

from procurement.negotiation import services
from procurement.negotiation.demo import OPENING_QUESTION, PANEL, RESPONSES, TITLE
from tests.conftest import login
from trading.trades.flows import TradeState
from trading.trades.models import Trade


def test_the_demo_negotiation_is_in_round_one(db, client, app):
    from trading.demo import DEMO_PASSWORD, load_demo

    users = load_demo()
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
    assert trade.state is TradeState.EVALUATING and services.negotiation_of(trade).round_no == 1
    assert services.panel_breaches(trade) == {} and len(services.remaining(trade)) == len(RESPONSES)
    login(client, PANEL[0], DEMO_PASSWORD)
    page = client.get(f"/procurement/trades/{trade.id}/negotiation").get_data(as_text=True)
    assert 'data-round="1"' in page and OPENING_QUESTION in page
    client.get("/logout")
    other = app.test_client()
    login(other, "bidder2", DEMO_PASSWORD)
    mine = other.get(f"/procurement/trades/{trade.id}/negotiation/mine")
    assert mine.status_code == 200 and OPENING_QUESTION in mine.get_data(as_text=True)
    assert users["bidder2"].organisation_id in services.remaining(trade)


def test_the_demo_consultation_is_open_for_responses(db, client, app):
    """The competitive consultation takes responses: one sealed, bidder3 may still seal one on the bid page."""
    from procurement.negotiation.demo import CONSULTATION_TITLE
    from trading.demo import DEMO_PASSWORD, load_demo

    load_demo()
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == CONSULTATION_TITLE))
    assert trade.method == "gp_competitive_consultation" and trade.state is TradeState.BIDDING
    assert (trade.bid_deadline - trade.issue_at).days >= 10  # C214 Art 10
    login(client, "bidder3", DEMO_PASSWORD)
    page = client.get(f"/bidding/trades/{trade.id}/bid")
    assert page.status_code == 200 and trade.ref in page.get_data(as_text=True)
