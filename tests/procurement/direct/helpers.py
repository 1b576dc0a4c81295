"""A single-source procurement drawn on the plan, its supplier named, published at START with the shortest legal
notice period (5 working days: Monday 2 March 2026 09:00 to Monday 9 March)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from procurement.direct import services
from procurement.plans import services as plans
from tests.conftest import CST, START
from trading.rules.days import load_calendar
from trading.trades import services as trades
from trading.trades.flows import TradeState

SECOND = timedelta(seconds=1)


def notice_last_day():
    from procurement.rulesets import GP_SINGLE_SOURCE

    rule = next(r for r in GP_SINGLE_SOURCE.rules if r.code == "gp.single_source_notice")
    return rule.last_day(START, load_calendar())


def notice_end() -> datetime:
    return datetime.combine(notice_last_day(), time(9, 0), tzinfo=CST)


def single_source(db, users, gp_trade, plan, price="500000.00", supplier="bidder"):
    end = notice_end()
    trade = gp_trade("gp_single_source", price, issue_at=START, docs_until=end, bid_deadline=end, opening_at=end)
    plans.draw(users["tenderer"], trade, plan.lines[0].id)
    services.name_supplier(users["tenderer"], trade, users[supplier].organisation_id,
                           "专利产品的配套服务，只能从原供应商处采购（政府采购法第31条第一项）")
    trades.move(trade, "submit", users["staff_proc"])
    trades.move(trade, "approve", users["decider"])
    trades.move(trade, "publish", users["staff_proc"])
    db.session.commit()
    assert trade.state is TradeState.BIDDING
    return trade
