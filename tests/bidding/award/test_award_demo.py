"""The demo's award stage: a works tender in publicity, suspended by an open objection that the tenderer
can answer on the award page (then the tender resumes)."""
from __future__ import annotations

import sqlalchemy as sa

from bidding.award import services as award
from bidding.award.demo import TITLE
from tests.conftest import login
from trading.accounts.models import User
from trading.trades.flows import TradeState
from trading.trades.models import Trade


def test_the_demo_shows_a_suspension_a_newcomer_can_answer(db, client, app):
    from trading.demo import DEMO_PASSWORD, load_demo

    load_demo()
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
    assert trade.state is TradeState.SUSPENDED and trade.suspended_from is TradeState.PUBLICITY
    (objection,) = award.open_objections(trade)
    assert len(award.current_list(trade).candidates) == 3
    public = client.get(f"/bidding/trades/{trade.id}/candidates").get_data(as_text=True)
    assert 'id="award-suspended"' in public
    login(client, "tenderer", DEMO_PASSWORD)
    page = client.get(f"/bidding/trades/{trade.id}/award").get_data(as_text=True)
    assert f'/award/objections/{objection.id}/answer' in page
    done = client.post(f"/bidding/trades/{trade.id}/award/objections/{objection.id}/answer",
                       data={"answer": "经核查，该项目经理在建工程已竣工验收，符合资格要求。", "upheld": "0"})
    assert done.status_code == 302
    db.session.expire_all()
    assert trade.state is TradeState.PUBLICITY
    assert db.session.scalar(sa.select(User).where(User.username == "tenderer")).organisation_id == trade.tenderer_id
