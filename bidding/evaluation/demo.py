"""The demo's evaluation room: the opened works tender gets a committee of five experts, under evaluation,
mid-review (one member has marked every bid, another one bid, with a fail and its reason) and with one
clarification asked of a bidder. Called by trading.demo.load_demo after the experts demo (which puts the
experts in the pool)."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from bidding.evaluation import clarifications, review, services
from bidding.evaluation.models import SeatKind
from trading.accounts.models import User
from trading.clock import now
from trading.extensions import db
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.models import Trade

TITLE = "城西污水处理厂提标改造工程施工招标"  # trading/demo_stages.py: opened_trade
MEMBERS = ("expert", "expert2", "expert3", "expert4", "expert5")


def load(users: dict[str, User]) -> Trade | None:
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
    if trade is None or trade.state is not TradeState.OPENED or not all(m in users for m in MEMBERS):
        return None
    staff = users["staff.works"]
    for name in MEMBERS:
        services.seat_member(staff, trade, users[name], SeatKind.EXPERT)
    trades.move(trade, "start_evaluation", staff)
    bids = review.entries(trade)
    codes = [c.code for c in review.criteria(trade)]
    for n, entry in enumerate(bids):
        marks = [{"criterion": c, "passed": True} for c in codes]
        if n == 1:  # the second bid's bid security was paid from another company's account
            marks[codes.index("C1")] = {"criterion": "C1", "passed": False,
                                        "reason": "投标保证金由非投标人账户转出，不符合招标文件第二章2.4款"}
        review.record_marks(users["expert"], trade, entry.id, marks)
    review.record_marks(users["expert2"], trade, bids[0].id, [{"criterion": c, "passed": True} for c in codes])
    clarifications.ask(users["expert"], trade, bids[-1].id,
                       "请澄清投标文件第三章施工组织设计中“冬季施工措施”所述停工天数是否计入240日历天总工期。",
                       now() + timedelta(hours=24))
    db.session.commit()
    return trade
