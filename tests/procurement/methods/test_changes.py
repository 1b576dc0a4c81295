"""Too few suppliers: the tender fails (O87 41-44), its budget draw goes back to the line, and the decision branch
may approve a change of method with a recorded reason (GPL 36; O87 43; O74 27); without the approval nothing
changes."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from procurement.methods import budget, changes
from procurement.methods.models import ChangeStatus
from procurement.methods.signals import budget_released, method_change_decided, method_change_requested
from procurement.plans import services as plans
from tests.conftest import START, api_headers, login, tender_timeline, csrf_token
from tests.monitor.supervisors.supervisor_helpers import entries
from tests.procurement.methods.test_invitees import to_bidding
from trading.errors import IllegalMove, InvalidInput
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.retender import retender


def _failed(db, gp_trade, plan, users, clock, method="gp_open_tender", price="400000.00"):
    """A procurement tender on paper that drew on the goods line, closed with too few bids and failed."""
    trade = gp_trade(method, price, **tender_timeline(START + timedelta(days=1)))
    if method == "gp_open_tender":  # the invitation tender of the page test draws nothing
        plans.draw(users["tenderer"], trade, plan.lines[0].id)
    db.session.commit()
    to_bidding(db, trade, users, clock)
    clock.freeze(trade.bid_deadline)
    trades.advance_trade(trade)
    trades.move(trade, "fail", users["staff_proc"], reason="only two bids: fewer than three (O87 41-44)")
    db.session.commit()
    assert trade.state is TradeState.FAILED
    return trade


def test_a_failed_tender_gives_its_budget_back_to_the_line(db, plan, gp_trade, users, clock):
    line = plan.lines[0]
    seen = []
    budget_released.connect(lambda trade, release: seen.append((trade.ref, release.amount)), weak=False)
    trade = gp_trade("gp_open_tender", "400000.00", **tender_timeline(START + timedelta(days=1)))
    plans.draw(users["tenderer"], trade, line.id)
    db.session.commit()
    assert line.left == Decimal("600000.00")
    to_bidding(db, trade, users, clock)
    clock.freeze(trade.bid_deadline)
    trades.advance_trade(trade)
    trades.move(trade, "fail", users["staff_proc"], reason="two bids")
    db.session.commit()
    db.session.refresh(line)
    assert line.left == Decimal("1000000.00") and line.drawn == Decimal("0.00")
    release = budget.release_of(trade)
    assert release.amount == Decimal("400000.00") and release.move == "fail"
    assert (trade.ref, Decimal("400000.00")) in seen
    assert entries(db, "budget_releases.insert", trade)  # audited in the move's transaction
    trades.move(trade, "archive", users["staff_proc"])
    db.session.commit()
    db.session.refresh(line)
    assert line.left == Decimal("1000000.00")  # given back once


def test_a_cancelled_draft_gives_its_budget_back_and_an_undrawn_one_gives_nothing(db, plan, gp_trade, users):
    line = plan.lines[1]
    drawn = gp_trade("gp_open_tender", "2500000.00")
    plans.draw(users["tenderer"], drawn, line.id)
    undrawn = gp_trade("gp_open_tender", "100000.00")
    db.session.commit()
    assert line.left == Decimal("500000.00")
    # the line cannot take another 2,500,000 until the draft is cancelled
    third = gp_trade("gp_open_tender", "2500000.00")
    with pytest.raises(InvalidInput):
        plans.draw(users["tenderer"], third, line.id)
    db.session.rollback()
    trades.move(drawn, "cancel", users["decider"], reason="the need went away")
    trades.move(undrawn, "cancel", users["decider"], reason="the need went away")
    db.session.commit()
    db.session.refresh(line)
    assert line.left == Decimal("3000000.00") and budget.release_of(undrawn) is None
    plans.draw(users["tenderer"], third, line.id)
    db.session.commit()
    assert line.left == Decimal("500000.00")


def test_change_of_method_needs_a_failed_tender_a_request_and_the_decision(client, db, plan, gp_trade, users,
                                                                            clock):
    asked, decided = [], []
    method_change_requested.connect(lambda trade, change, actor: asked.append(change.id), weak=False)
    method_change_decided.connect(lambda trade, change, actor: decided.append(change.status), weak=False)
    en = {"Accept-Language": "en"}
    live = gp_trade("gp_open_tender", "300000.00")
    url = f"/api/v1/trades/{live.id}/method-changes"
    not_failed = client.post(url, json={"to_method": "gp_competitive_negotiation", "reason": "x"},
                             headers={**api_headers(client, "tenderer"), **en})
    assert not_failed.status_code == 409 and not_failed.get_json()["code"] == "not_failed"

    failed = _failed(db, gp_trade, plan, users, clock)
    url = f"/api/v1/trades/{failed.id}/method-changes"
    tenderer = {**api_headers(client, "tenderer"), **en}
    inquiry = client.post(url, json={"to_method": "gp_inquiry", "reason": "x"}, headers=tenderer)
    assert inquiry.status_code == 422 and inquiry.get_json()["field"] == "to_method"
    assert "gp_competitive_negotiation" in inquiry.get_json()["message"]
    blank = client.post(url, json={"to_method": "gp_competitive_negotiation", "reason": " "}, headers=tenderer)
    assert blank.status_code == 422 and blank.get_json()["field"] == "reason"
    made = client.post(url, json={"to_method": "gp_competitive_negotiation",
                                  "reason": "two suppliers only; documents were sound"}, headers=tenderer)
    assert made.status_code == 201 and made.get_json()["status"] == "pending"
    twice = client.post(url, json={"to_method": "gp_single_source", "reason": "x"}, headers=tenderer)
    assert twice.status_code == 409 and twice.get_json()["code"] == "pending"
    # without the decision branch's approval nothing changes: the purchaser cannot decide, no follow-on exists
    self_approved = client.post(f"{url}/decision", json={"approve": True, "reason": "we approve ourselves"},
                                headers=tenderer)
    assert self_approved.status_code == 403
    assert client.post(f"{url}/decision", json={"approve": True, "reason": "x"},
                       headers=api_headers(client, "staff_proc")).status_code == 403
    assert changes.changes_of(failed)[0].follow_on_id is None and failed.state is TradeState.FAILED
    decider = {**api_headers(client, "decider"), **en}
    no_reason = client.post(f"{url}/decision", json={"approve": False, "reason": ""}, headers=decider)
    assert no_reason.status_code == 422
    refused = client.post(f"{url}/decision", json={"approve": False, "reason": "tender again: the market is wide"},
                          headers=decider)
    assert refused.status_code == 200 and refused.get_json()["status"] == "refused"
    assert refused.get_json()["follow_on"] is None
    nothing = client.post(f"{url}/decision", json={"approve": True, "reason": "x"}, headers=decider)
    assert nothing.status_code == 409 and nothing.get_json()["code"] == "no_request"
    # a new request, approved: the follow-on draft by the new method, its approval recorded with the reason
    client.post(url, json={"to_method": "gp_competitive_negotiation", "reason": "second failure; two suppliers"},
                headers=tenderer)
    approved = client.post(f"{url}/decision", json={"approve": True, "reason": "O74 27: negotiate with the two"},
                           headers=decider)
    assert approved.status_code == 200, approved.get_json()
    follow = approved.get_json()["follow_on"]
    db.session.expire_all()
    (change,) = [c for c in changes.changes_of(failed) if c.status is ChangeStatus.APPROVED]
    new = change.follow_on
    assert new.ref == follow["ref"] and new.method == "gp_competitive_negotiation" and new.state is TradeState.DRAFT
    assert new.retender_of_id == failed.id and new.tenderer_id == failed.tenderer_id
    approval = plans.approval_of(new)
    assert approval.method == new.method and "O74 27" in approval.reason and failed.ref in approval.reason
    # the failed tender's budget came back; the follow-on draws it again with no second approval
    plans.draw(users["tenderer"], new, plan.lines[0].id)
    db.session.commit()
    assert plan.lines[0].left == Decimal("600000.00")
    assert len(asked) == 2 and decided == [ChangeStatus.REFUSED, ChangeStatus.APPROVED]
    assert len(entries(db, "procurement_method_changes.insert", failed)) == 2
    # one follow-on only
    again = client.post(url, json={"to_method": "gp_single_source", "reason": "x"}, headers=tenderer)
    assert again.status_code == 409 and again.get_json()["code"] == "already_followed"
    with pytest.raises(IllegalMove):
        retender(users["staff_proc"], failed)
    listed = client.get(url, headers=tenderer).get_json()
    assert [c["status"] for c in listed] == ["refused", "approved"]


def test_the_change_pages_request_and_decide(app, client, db, plan, gp_trade, users, clock):
    failed = _failed(db, gp_trade, plan, users, clock, method="gp_invited_tender", price="200000.00")
    page = f"/procurement/trades/{failed.id}/method-change"
    login(client, "staff_proc")
    assert page in client.get(f"/workspace/trades/{failed.id}").get_data(as_text=True)  # linked from the trade
    html = client.get(page, query_string={"lang": "en"}).get_data(as_text=True)
    assert "Ask for another method" in html and "Procurement: competitive consultation" in html
    short = client.post(page, data={"csrf_token": csrf_token(html), "action": "request",
                                    "to_method": "gp_competitive_consultation", "reason": ""},
                        query_string={"lang": "en"})
    assert short.status_code == 422
    done = client.post(page, data={"csrf_token": csrf_token(html), "action": "request",
                                   "to_method": "gp_competitive_consultation", "reason": "only two responded"})
    assert done.status_code == 302
    decider = app.test_client()
    login(decider, "decider")
    html = decider.get(page, query_string={"lang": "zh_CN"}).get_data(as_text=True)
    assert "only two responded" in html and 'value="decide"' in html
    decided = decider.post(page, data={"csrf_token": csrf_token(html), "action": "decide", "approve": "yes",
                                       "reason": "services of one kind: consultation"})
    assert decided.status_code == 302
    db.session.expire_all()
    (change,) = changes.changes_of(failed)
    assert change.status is ChangeStatus.APPROVED and change.follow_on.method == "gp_competitive_consultation"
    assert change.follow_on.ref in decider.get(page).get_data(as_text=True)
