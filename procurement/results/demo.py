"""The demo's procurement at the award decision: the education bureau's IT-services open tender, opened, scored by
the lowest evaluated price with one micro enterprise's declared 10% deduction moving it from third to first, the
candidates out yesterday; the purchaser (林采购) confirms the winner on the results page before its O87 68 deadline,
or the platform awards rank one when it passes. Called from procurement.demo.load after the plan exists."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from bidding.scoring import services as scoring
from procurement.plans import services as plans
from procurement.plans.models import BudgetLine, ProcurementPlan
from procurement.results import sme
from trading.clock import clock
from trading.extensions import db
from trading.notices import services as notices
from trading.trades import services as trades

TITLE = "教育信息化平台运维服务采购项目"
#: (user, price): 博联信息科技 declares itself a micro enterprise: 789,000.00 x 90% = 710,100.00 evaluated
BIDS = (("bidder", "772000.00"), ("bidder2", "745500.00"), ("bidder5", "789000.00"))
DECLARED = "bidder5"


def load(centres, orgs, users) -> None:
    """Run the tender from its notice 40 days ago to its candidates published yesterday; the clock is left as it was."""
    from procurement.demo import supervisor_signing_key
    from trading.demo_stages import open_with_keyholders, publish_sealed, submit_sealed_bid

    was_frozen, loaded_at = clock.frozen, clock.now()
    staff, purchaser = users["staff.proc"], users["purchaser"]
    try:
        clock.freeze(loaded_at - timedelta(days=40))
        issue = clock.now() + timedelta(hours=2)
        deadline = (issue + timedelta(days=30)).replace(hour=1, minute=30, second=0, microsecond=0)  # 09:30 CST
        trade = trades.create_trade(staff, {
            "centre_id": centres["PROC"].id, "method": "gp_open_tender", "tenderer_id": orgs["purchaser"].id,
            "title": TITLE, "estimated_price": Decimal("800000.00"), "bid_security": Decimal("16000.00"),
            "description": "市教育信息化平台一年运维服务，含7×24小时值守与季度巡检。", "issue_at": issue,
            "docs_until": issue + timedelta(days=10), "bid_deadline": deadline, "opening_at": deadline})
        line = db.session.scalar(sa.select(BudgetLine).join(ProcurementPlan).where(
            ProcurementPlan.purchaser_id == orgs["purchaser"].id, BudgetLine.category_code == "C16000000").order_by(BudgetLine.id))
        if line is not None:
            plans.draw(purchaser, trade, line.id)
        sme.set_policy(purchaser, trade, {"category": "services", "deduction": Decimal("10")})
        notices.upload_document(staff, trade, "招标文件.txt", "text/plain",
                                io.BytesIO(f"{TITLE} 招标文件（示例）：小微企业报价给予10%的价格扣除。\n".encode()))
        publish_sealed(trade, users, "PROC")
        clock.freeze(issue + timedelta(days=3))
        trades.advance_trade(trade)  # this trade only: a global tick in the past would move the other demos
        sme.declare(users[DECLARED], trade, {"size": "micro", "industry": "software_it", "employees": 8,
                                             "revenue": Decimal("3600000.00")})
        for n, (name, price) in enumerate(BIDS):
            clock.advance(timedelta(hours=4 + n))
            submit_sealed_bid(trade, users[name], price)
        clock.freeze(deadline + timedelta(seconds=1))
        trades.advance_trade(trade)  # this trade only: a global tick in the past would move the other demos
        clock.freeze(deadline + timedelta(minutes=2))
        open_with_keyholders(trade, users, {"supervisor": supervisor_signing_key()})
        clock.freeze(loaded_at - timedelta(days=2))
        trades.move(trade, "start_evaluation", staff)
        evaluation.seat_member(staff, trade, users["expert"], SeatKind.EXPERT)
        scoring.set_plan(staff, trade, {"method": "lowest_evaluated_price", "subject": "services"})
        scoring.submit_sheet(users["expert"], trade)
        clock.freeze(loaded_at - timedelta(days=1))
        trades.move(trade, "publicize", staff)
        db.session.commit()
    finally:
        clock.freeze(loaded_at) if was_frozen else clock.unfreeze()
