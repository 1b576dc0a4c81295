"""The demo's scoring: the works tender under evaluation (bidding/evaluation/demo.py) gets the comprehensive
scoring plan its tender documents announced, and two of its five members have submitted their sheets, so a
newcomer who logs in as `expert` scores alone on a sheet of their own, and sees the others' only after
submitting. Called by trading.demo.load_demo after the evaluation demo."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from bidding.evaluation.services import passed_bids
from bidding.scoring import services
from trading.accounts.models import User
from trading.extensions import db
from trading.trades.flows import TradeState
from trading.trades.models import Trade

TITLE = "城西污水处理厂提标改造工程施工招标"  # the evaluation demo's trade (trading/demo_stages.py: opened_trade)
PLAN = {"method": "comprehensive", "subject": "works", "price_weight": "40",
        "criteria": [{"name": "技术方案", "max_points": "30"}, {"name": "施工组织设计", "max_points": "20"},
                     {"name": "项目管理机构", "max_points": "10"}]}
#: the two members who have submitted, and the share of each criterion's maximum they give the bids in turn
SUBMITTED = {"expert2": ("0.85", "0.75", "0.90"), "expert3": ("0.80", "0.80", "0.85")}


def load(users: dict[str, User]) -> Trade | None:
    trade = db.session.scalar(sa.select(Trade).where(Trade.title == TITLE))
    if trade is None or trade.state is not TradeState.EVALUATING or services.plan_of(trade) is not None:
        return None
    plan = services.set_plan(users["staff.works"], trade, PLAN)
    bids = passed_bids(trade)
    for name, shares in SUBMITTED.items():
        if name not in users:
            continue
        scores = [{"entry_id": e.id, "criterion_id": c.id,
                   "points": str((c.max_points * Decimal(shares[(i + j) % len(shares)])).quantize(Decimal("0.5")))}
                  for i, e in enumerate(bids) for j, c in enumerate(plan.criteria)]
        services.submit_sheet(users[name], trade, scores)
    db.session.commit()
    return trade
