"""The demo plants a ring in its opened works tender: after `make run` a supervisor finds its flags."""
from __future__ import annotations

from tests.conftest import login
from trading.demo import DEMO_PASSWORD, load_demo


def test_the_demo_shows_a_supervisor_the_planted_ring(db, client):
    users = load_demo()
    from bidding.collusion.demo import TITLE
    from trading.trades.models import Trade

    trade = db.session.scalar(db.select(Trade).where(Trade.title == TITLE))
    login(client, "supervisor", DEMO_PASSWORD)
    response = client.get(f"/bidding/trades/{trade.id}/collusion?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for title in ("Bids from the same network address", "Bids sealed on the same device", "Deposits from the same account"):
        assert title in page
    assert "宏达建设有限公司" in page and "远东路桥工程有限公司" in page
    assert page.count('class="card flag') == 3  # the ring's three signs, nothing about the honest bidders
    # the workspace links to it for the supervisor, not for a bidder
    assert f"/bidding/trades/{trade.id}/collusion" in client.get(f"/workspace/trades/{trade.id}").get_data(as_text=True)
    client.post("/logout")
    login(client, "bidder2", DEMO_PASSWORD)
    assert client.get(f"/bidding/trades/{trade.id}/collusion").status_code == 403
    assert users is not None
