"""The demo's methods (procurement/methods): an invitation tender of the education bureau whose three invitees
were drawn by the verifiable draw from the five demo bidder companies, open for bids (an invitee sees the bid
form, any other supplier the refusal naming GPL 34); and an open tender that failed at its opening with two bids
(O87 41-44), its budget given back, the purchaser's request to go on by competitive negotiation waiting for the
decision branch (`decider` decides on /procurement/trades/<id>/method-change). Each draws on a budget line of its
own (procurement.demo.LINES). Called from procurement.demo.load after the plan exists."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from procurement.methods import changes, services
from procurement.plans import services as plans
from procurement.plans.models import BudgetLine, ProcurementPlan
from trading.clock import clock
from trading.draws import services as draws
from trading.extensions import db
from trading.notices import services as notices
from trading.trades import services as trades

INVITED_TITLE = "中小学学生课桌椅及宿舍家具邀请招标采购项目"
INVITED_LINE = "中小学学生课桌椅及宿舍家具"
FAILED_TITLE = "2026年教师公开招聘考试组织服务采购项目"
FAILED_LINE = "教师公开招聘考试组织服务"
#: the failed tender's two bids: one fewer than the three an opening needs
FAILED_BIDS = (("bidder3", "438000.00"), ("bidder4", "446500.00"))
TO_METHOD = "gp_competitive_negotiation"
REASON = ("公开招标投标截止时仅两家供应商递交投标文件，开标时因投标人不足三家而流标；招标文件没有不合理条款，"
          "招标程序符合规定，经市场调查符合资格条件的供应商仅此两家，申请与其进行竞争性谈判"
          "（财政部令第87号第43条、财政部令第74号第27条）。")
BIDDERS = ("bidder", "bidder2", "bidder3", "bidder4", "bidder5")


def _line(orgs, description: str) -> BudgetLine | None:
    return db.session.scalar(sa.select(BudgetLine).join(ProcurementPlan).where(
        ProcurementPlan.purchaser_id == orgs["purchaser"].id, BudgetLine.description == description))


def _tender(centres, orgs, users, method: str, title: str, price: str, description: str, line: str, days: int):
    """A sealed tender of the bureau drafted now, issued in two hours, its bids due `days` later at 09:30 Beijing
    time, drawn on its line, with its documents."""
    issue = clock.now() + timedelta(hours=2)
    deadline = (issue + timedelta(days=days)).replace(hour=1, minute=30, second=0, microsecond=0)
    trade = trades.create_trade(users["staff.proc"], {
        "centre_id": centres["PROC"].id, "method": method, "tenderer_id": orgs["purchaser"].id, "title": title,
        "estimated_price": Decimal(price), "description": description, "issue_at": issue,
        "docs_until": issue + timedelta(days=10), "bid_deadline": deadline, "opening_at": deadline})
    found = _line(orgs, line)
    if found is not None:
        plans.draw(users["purchaser"], trade, found.id)
    notices.upload_document(users["staff.proc"], trade, "招标文件.txt", "text/plain",
                            io.BytesIO(f"{title} 招标文件（示例）\n".encode()))
    return trade


def _invitation(centres, orgs, users, loaded_at) -> None:
    """Drafted six days ago; the purchaser had three invitees drawn from the five demo bidder companies (the
    tick sealed the beacon and drew); published; open for bids now, its bids due in about three weeks."""
    from trading.demo_stages import publish_sealed

    clock.freeze(loaded_at - timedelta(days=6))
    trade = _tender(centres, orgs, users, "gp_invited_tender", INVITED_TITLE, "1500000.00",
                    "市属中小学学生课桌椅及宿舍家具，邀请三家供应商投标（政府采购法第34条）。", INVITED_LINE, 25)
    candidates = [users[name].organisation_id for name in BIDDERS]
    row = services.fix_draw(users["purchaser"], trade, 3, candidates)
    db.session.commit()
    clock.freeze(row.commit_until + timedelta(seconds=1))
    draws.run_due()  # no supervisor committed: the beacon is signed and the round drawn at once
    db.session.refresh(trade)
    publish_sealed(trade, users, "PROC")
    clock.freeze(trade.issue_at + timedelta(days=1))
    trades.advance_trade(trade)  # this trade only: a global tick in the past would move the other demos
    db.session.commit()


def _failed(centres, orgs, users, loaded_at) -> None:
    """Issued forty days ago; two bids by its deadline ten days ago; the opening failed for too few bids (the
    line got its budget back); two days ago the purchaser asked to change to competitive negotiation."""
    from bidding.ceremony import services as ceremony
    from bidding.ceremony.opening import complete_ceremony
    from trading.demo_stages import CENTRE_KEYHOLDERS, publish_sealed, submit_sealed_bid

    clock.freeze(loaded_at - timedelta(days=40))
    trade = _tender(centres, orgs, users, "gp_open_tender", FAILED_TITLE, "450000.00",
                    "2026年市属中小学教师公开招聘笔试、面试组织及考务服务。", FAILED_LINE, 30)
    publish_sealed(trade, users, "PROC")
    clock.freeze(trade.issue_at + timedelta(days=3))
    trades.advance_trade(trade)  # this trade only: a global tick in the past would move the other demos
    for n, (name, price) in enumerate(FAILED_BIDS):
        clock.advance(timedelta(hours=5 + n))
        submit_sealed_bid(trade, users[name], price)
    clock.freeze(trade.bid_deadline + timedelta(seconds=1))
    trades.advance_trade(trade)  # this trade only: a global tick in the past would move the other demos
    clock.freeze(trade.bid_deadline + timedelta(minutes=2))
    clerk = users[CENTRE_KEYHOLDERS["PROC"][0]]
    ceremony.start_ceremony(clerk, trade)
    clock.advance(timedelta(minutes=1))
    complete_ceremony(clerk, trade)  # two bids where three are needed: not opened, the trade fails
    db.session.commit()
    clock.freeze(loaded_at - timedelta(days=2))
    changes.request(users["purchaser"], trade, TO_METHOD, REASON)
    db.session.commit()


def load(centres, orgs, users) -> None:
    was_frozen, loaded_at = clock.frozen, clock.now()
    try:
        _failed(centres, orgs, users, loaded_at)
        _invitation(centres, orgs, users, loaded_at)
    finally:
        clock.freeze(loaded_at) if was_frozen else clock.unfreeze()
