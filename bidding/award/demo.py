"""The demo's award stage: a works tender whose candidates are in publicity, suspended by a bidder's open
objection, so a newcomer sees the suspension and answers it as the tenderer (陈招标) on the award page,
then awards once the publicity is over. Called by trading.demo.load_demo with the clock at its loading time."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

from bidding.award import services as award
from bidding.deposits.services import record_deposit
from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from bidding.scoring import services as scoring
from trading.clock import clock
from trading.demo_stages import open_with_keyholders, publish_sealed, submit_sealed_bid
from trading.extensions import db
from trading.notices import services as notices
from trading.trades import services as trades

TITLE = "城北体育公园配套道路工程施工招标"
BIDS = (("bidder", "9386000.00"), ("bidder2", "9512500.00"), ("bidder3", "9299900.00"), ("bidder4", "9440000.00"))


def load(centres, orgs, users, signing_keys: dict, loaded_at: datetime) -> None:
    """Run the tender from its notice 50 days ago to the publicity (published yesterday) and an objection
    raised this morning; the clock is left where it was."""
    was_frozen, before = clock.frozen, clock.now()
    staff = users["staff.works"]
    try:
        clock.freeze(loaded_at - timedelta(days=50))
        issue = clock.now() + timedelta(hours=2)
        # 35 days: legal periods ending in a holiday week (Spring Festival) still hold
        deadline = (issue + timedelta(days=35)).replace(hour=1, minute=30, second=0, microsecond=0)  # 09:30 CST
        trade = trades.create_trade(staff, {
            "centre_id": centres["WORKS"].id, "method": "works_open_tender", "tenderer_id": orgs["tenderer"].id,
            "title": TITLE, "estimated_price": Decimal("9800000.00"), "bid_security": Decimal("150000.00"),
            "description": "体育公园北侧及东侧配套道路3.2公里，含雨污水管网。工期300日历天。",
            "issue_at": issue, "docs_until": issue + timedelta(days=15), "bid_deadline": deadline,
            "opening_at": deadline})
        notices.upload_document(staff, trade, "招标文件.txt", "text/plain",
                                io.BytesIO(f"{TITLE} 招标文件（示例）\n".encode()))
        publish_sealed(trade, users, "WORKS")
        clock.freeze(issue + timedelta(days=3))
        trades.advance_due()
        for n, (name, price) in enumerate(BIDS):
            clock.advance(timedelta(hours=4 + n))
            record_deposit(staff, trade, users[name].organisation_id, Decimal("150000.00"))
            submit_sealed_bid(trade, users[name], price)
        clock.freeze(deadline + timedelta(seconds=1))
        trades.advance_due()
        clock.freeze(deadline + timedelta(minutes=2))
        open_with_keyholders(trade, users, signing_keys)
        # the evaluation starts two and a half days before the candidates go public: within the 3 days the
        # works norm allows from its start (works.candidates_published), so the demo trade draws no card
        clock.freeze(loaded_at - timedelta(days=2, hours=12))
        trades.move(trade, "start_evaluation", staff)
        # the committee scores by the lowest evaluated price (the demo's expert and the tenderer's representative)
        evaluation.seat_member(staff, trade, users["expert"], SeatKind.EXPERT)
        evaluation.seat_member(staff, trade, users["tenderer"], SeatKind.TENDERER_REP)
        scoring.set_plan(staff, trade, {"method": "lowest_evaluated_price", "subject": "works"})
        clock.freeze(loaded_at - timedelta(days=2))
        for member in ("expert", "tenderer"):
            scoring.submit_sheet(users[member], trade)
        clock.freeze(loaded_at - timedelta(days=1))
        trades.move(trade, "publicize", staff)
        clock.freeze(loaded_at - timedelta(hours=3))
        award.raise_objection(users["bidder4"], trade, "第一中标候选人项目经理尚有在建工程，不符合招标文件第二章"
                                                       "资格要求，请予核查。")
        db.session.commit()
    finally:
        clock.freeze(before) if was_frozen else clock.unfreeze()
