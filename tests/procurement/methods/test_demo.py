"""The demo's methods: an invitation tender open for bids with three invitees drawn by the verifiable draw (an
invitee sees the bid form, another supplier the refusal), and a failed open tender whose change to competitive
negotiation waits for the decision branch (the decider approves it on the page; the follow-on draft is made)."""
from __future__ import annotations

import sqlalchemy as sa

from procurement.methods import changes, services
from procurement.methods.demo import BIDDERS, FAILED_TITLE, INVITED_TITLE, REASON, TO_METHOD
from procurement.methods.models import BudgetRelease, ChangeStatus, InviteeSource
from procurement.plans.models import BudgetLine
from tests.conftest import csrf_token, login
from trading.accounts.models import User
from trading.trades.flows import TradeState
from trading.trades.models import Trade


def _trade(db, title: str) -> Trade:
    return db.session.scalar(sa.select(Trade).where(Trade.title == title))


def _as(client, username: str):
    from trading.demo import DEMO_PASSWORD

    client.post("/logout")
    login(client, username, DEMO_PASSWORD)


def test_the_demo_invitation_tender_is_open_for_its_drawn_invitees_only(db, client, app):
    from trading.demo import load_demo

    load_demo()
    trade = _trade(db, INVITED_TITLE)
    assert trade.method == "gp_invited_tender" and trade.state is TradeState.BIDDING
    chosen = services.invitees(trade)
    (row,) = services.rounds(trade)
    bidders = {name: db.session.scalar(sa.select(User).where(User.username == name)) for name in BIDDERS}
    assert sorted(row.candidates) == sorted(u.organisation_id for u in bidders.values())
    assert len(chosen) == 3 and {i.source for i in chosen} == {InviteeSource.DRAW}
    assert [i.organisation_id for i in chosen] == row.selected == row.order[:3]
    invited = next(n for n, u in bidders.items() if u.organisation_id in row.selected)
    outsider = next(n for n, u in bidders.items() if u.organisation_id not in row.selected)
    # who is invited names the potential bidders: not public before the opening (Tendering Law Art 22)
    assert client.get(f"/procurement/trades/{trade.id}/invitees").status_code in (302, 401)
    _as(client, invited)
    page = client.get(f"/bidding/trades/{trade.id}/bid")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="seal-h"' in html and 'id="bid-refusal"' not in html
    _as(client, outsider)
    page = client.get(f"/bidding/trades/{trade.id}/bid?lang=zh_CN")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="bid-refusal"' in html and 'id="seal-h"' not in html
    assert bidders[outsider].organisation.name in html and "政府采购法 第34条" in html


def test_the_demo_failed_tender_waits_for_the_deciders_change_of_method(db, client, app):
    from trading.demo import load_demo

    load_demo()
    trade = _trade(db, FAILED_TITLE)
    assert trade.method == "gp_open_tender" and trade.state is TradeState.FAILED
    release = db.session.scalar(sa.select(BudgetRelease).where(BudgetRelease.trade_id == trade.id))
    assert release is not None and release.amount == trade.estimated_price and db.session.get(BudgetLine, release.line_id).drawn == 0
    change = changes.pending(trade)
    assert change is not None and (change.to_method, change.reason) == (TO_METHOD, REASON)
    url = f"/procurement/trades/{trade.id}/method-change"
    assert client.get(url).status_code in (302, 401)  # sign in first
    _as(client, "bidder3")
    assert client.get(url).status_code == 403
    _as(client, "purchaser")
    html = client.get(url).get_data(as_text=True)
    assert "竞争性谈判" in html and 'value="decide"' not in html  # the purchaser asked; only the decider decides
    _as(client, "decider")
    page = client.get(url)
    assert page.status_code == 200 and 'value="decide"' in page.get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "action": "decide",
                                  "approve": "yes", "reason": "仅两家供应商，同意竞争性谈判。"})
    assert done.status_code == 302
    db.session.expire_all()
    (decided,) = changes.changes_of(trade)
    assert decided.status is ChangeStatus.APPROVED and decided.follow_on.method == TO_METHOD
    assert decided.follow_on.state is TradeState.DRAFT and decided.follow_on.retender_of_id == trade.id
