"""The demo's competitive negotiation, ready to take through its rounds: the education bureau's IT platform
operation and maintenance services (drawn on the plan's line C16000000, procurement/demo.py), three suppliers' responses sealed and opened at a real ceremony (the keyholders' sides opening their
shares with the demo passphrase), the panel of three experts seated and the rounds started, round 1.

Log in as expert5 (the panel) or staff.proc (the clerk) at /procurement/trades/<id>/negotiation, and as bidder,
bidder2 or bidder5 at .../negotiation/mine. Called by procurement.demo.load."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from procurement.negotiation import services
from procurement.plans import services as plans
from procurement.plans.models import BudgetLine, ProcurementPlan
from trading.clock import clock, now
from trading.extensions import db
from trading.trades import services as trades
from trading.trades.models import Trade

TITLE = "教育信息化平台运维服务竞争性谈判采购"
#: the suppliers and their opened responses (yuan)
RESPONSES = (("bidder", "768000.00"), ("bidder2", "745500.00"), ("bidder5", "779900.00"))
PANEL = ("expert5", "expert6", "expert7")
LINE = "C16000000"  # the plan's IT services line (procurement/demo.py LINES)
#: the panel's first message to each supplier in round 1
OPENING_QUESTION = "请确认7×24小时响应、故障2小时内到场的服务承诺能否满足，并说明驻场运维人员的配置。"



def load(centres, orgs, users) -> Trade | None:
    """Run the negotiation up to its first round; the clock is moved through the trade's history and put back."""
    from procurement.demo import publish_documents, supervisor_signing_key
    from trading.demo_stages import open_with_keyholders, publish_sealed, submit_sealed_bid

    if db.session.scalar(sa.select(Trade.id).where(Trade.title == TITLE)) is not None:
        return None
    if any(name not in users for name in (*PANEL, "staff.proc", "purchaser", *(n for n, _p in RESPONSES))):
        return None
    loaded_at, was_frozen = now(), clock.frozen
    start = loaded_at - timedelta(days=9)
    try:
        clock.freeze(start)
        issue = start + timedelta(hours=1)
        deadline = (issue + timedelta(days=7)).replace(hour=1, minute=30, second=0, microsecond=0)  # 09:30 CST
        trade = trades.create_trade(users["staff.proc"], {
            "centre_id": centres["PROC"].id, "method": "gp_competitive_negotiation",
            "tenderer_id": orgs["purchaser"].id, "title": TITLE, "estimated_price": Decimal("780000.00"),
            "bid_security": None, "description": "市教育信息化平台一年期运维服务：系统巡检、故障处理、数据备份与驻场支持。",
            "issue_at": issue, "docs_until": deadline, "bid_deadline": deadline, "opening_at": deadline,
            "paper_bids": False})
        line = db.session.scalar(sa.select(BudgetLine).join(ProcurementPlan).where(
            ProcurementPlan.purchaser_id == orgs["purchaser"].id, BudgetLine.category_code == LINE,
            BudgetLine.description.like("%（谈判）")))
        if line is not None:
            plans.draw(users["staff.proc"], trade, line.id)
        publish_documents(trade, users["staff.proc"])
        publish_sealed(trade, users, "PROC")
        clock.freeze(issue + timedelta(days=1))
        trades.advance_trade(trade)  # this trade only: a global tick in the past would move the other demos
        for n, (name, price) in enumerate(RESPONSES):
            clock.advance(timedelta(hours=3 + n))
            submit_sealed_bid(trade, users[name], price)
        clock.freeze(deadline + timedelta(seconds=1))
        trades.advance_trade(trade)  # this trade only: a global tick in the past would move the other demos
        clock.freeze(deadline + timedelta(minutes=2))
        open_with_keyholders(trade, users, {"supervisor": supervisor_signing_key()})
        clock.advance(timedelta(minutes=30))
        trades.move(trade, "start_evaluation", users["staff.proc"])
        for name in PANEL:
            evaluation.seat_member(users["staff.proc"], trade, users[name], SeatKind.EXPERT)
        clock.advance(timedelta(minutes=20))
        services.start(users["staff.proc"], trade)
        for name, _price in RESPONSES:
            clock.advance(timedelta(minutes=5))
            services.send_message(users[PANEL[0]], trade, OPENING_QUESTION, users[name].organisation_id)
        db.session.commit()
    finally:
        clock.freeze(loaded_at) if was_frozen else clock.unfreeze()
    load_consultation(centres, orgs, users)
    return trade


CONSULTATION_TITLE = "教育局机关办公楼物业管理服务竞争性磋商采购"


def load_consultation(centres, orgs, users) -> Trade | None:
    """A competitive consultation open for responses (at least 10 days from the documents, C214 Art 10), with
    one supplier's response sealed so far: log in as bidder3 or bidder4 to seal one on the bid page. After
    the opening it runs through the same rounds and final quotes, then C214 comprehensive scoring."""
    from procurement.demo import publish_documents
    from trading.demo_stages import publish_sealed, submit_sealed_bid

    if db.session.scalar(sa.select(Trade.id).where(Trade.title == CONSULTATION_TITLE)) is not None:
        return None
    loaded_at, was_frozen = now(), clock.frozen
    try:
        issue = loaded_at - timedelta(days=2)
        clock.freeze(issue - timedelta(hours=1))
        deadline = (issue + timedelta(days=12)).replace(hour=1, minute=30, second=0, microsecond=0)  # 09:30 CST
        trade = trades.create_trade(users["staff.proc"], {
            "centre_id": centres["PROC"].id, "method": "gp_competitive_consultation",
            "tenderer_id": orgs["purchaser"].id, "title": CONSULTATION_TITLE, "estimated_price": Decimal("580000.00"),
            "bid_security": None, "description": "教育局机关办公楼一年期物业管理服务：保洁、安保、设施设备维护。",
            "issue_at": issue, "docs_until": deadline, "bid_deadline": deadline, "opening_at": deadline,
            "paper_bids": False})
        line = db.session.scalar(sa.select(BudgetLine).join(ProcurementPlan).where(
            ProcurementPlan.purchaser_id == orgs["purchaser"].id, BudgetLine.description.like("%（磋商）")))
        if line is not None:
            plans.draw(users["staff.proc"], trade, line.id)
        publish_documents(trade, users["staff.proc"])
        publish_sealed(trade, users, "PROC")
        clock.freeze(issue + timedelta(days=1))
        trades.advance_trade(trade)  # this trade only: a global tick in the past would move the other demos
        submit_sealed_bid(trade, users["bidder2"], "566000.00")
        db.session.commit()
    finally:
        clock.freeze(loaded_at) if was_frozen else clock.unfreeze()
    return trade
