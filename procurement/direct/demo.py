"""The demo's single sources, drawn on the education bureau's operations line: one in its public notice period
with an objection filed (the purchaser answers once the period is over), and one past its notice, negotiated, its
record waiting for the panel's signatures (the expert signs it from a phone). The bureau's inquiry
(市教育局办公设备询价采购) is trading.demo's: published, its quotes sealed one per supplier.
Called by procurement.demo.load once the plan exists."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from procurement.direct import services
from procurement.plans.models import BudgetLine
from procurement.plans.services import take_budget
from procurement.rulesets import GP_SINGLE_SOURCE
from trading.clock import clock, local_tz, now
from trading.extensions import db
from trading.rules.days import load_calendar
from trading.trades import services as trades

LINE = "C16000000"  # 教育信息化平台运维服务: both draw on it
REASON = "原教育信息化平台为博联信息科技有限公司自主开发并拥有著作权，运维服务只能由其提供（政府采购法第31条第一项）。"


def _notice_end(start: datetime) -> datetime:
    rule = next(r for r in GP_SINGLE_SOURCE.rules if r.code == "gp.single_source_notice")
    return datetime.combine(rule.last_day(start, load_calendar()) + timedelta(days=1), time(9, 30), tzinfo=local_tz())



def _single_source(centres, orgs, users, title: str, price: str, start: datetime):
    end = _notice_end(start)
    trade = trades.create_trade(users["staff.proc"], {
        "centre_id": centres["PROC"].id, "method": "gp_single_source", "tenderer_id": orgs["purchaser"].id,
        "title": title, "estimated_price": Decimal(price), "description": "教育信息化平台运维服务，服务期一年。",
        "issue_at": start, "docs_until": end, "bid_deadline": end, "opening_at": end})
    line = db.session.scalar(sa.select(BudgetLine).where(BudgetLine.category_code == LINE,
                                                         BudgetLine.description.like("考试与招生%")))
    if line is not None:
        take_budget(users["staff.proc"], trade, line, now())
    services.name_supplier(users["purchaser"], trade, orgs["bidder5"].id, REASON)
    from procurement.demo import publish_documents

    publish_documents(trade, users["staff.proc"])
    trades.move(trade, "submit", users["staff.proc"])
    trades.move(trade, "approve", users["decider"])
    trades.move(trade, "publish", users["staff.proc"])
    trades.advance_trade(trade)
    return trade


def load(centres, orgs, users) -> None:
    loaded_at = now()
    was_frozen = clock.frozen
    # negotiated: its notice ran from twelve days ago, an objection was filed and answered (not upheld)
    clock.freeze(loaded_at - timedelta(days=12))
    try:
        past = _single_source(centres, orgs, users, "教育信息化平台运维服务单一来源采购（2026年上半年）", "380000.00",
                              now() + timedelta(minutes=5))
        clock.freeze(loaded_at - timedelta(days=11))
        trades.advance_trade(past)
        objection = services.file_objection(users["bidder2"], past, "我公司亦具备同类平台的运维能力，请说明采用单一来源的理由。")
        clock.freeze(past.bid_deadline + timedelta(hours=2))
        services.answer_objection(users["purchaser"], objection, "经组织专家补充论证：平台源代码著作权归原开发单位，"
                                  "他人无法合法提供运维，异议不成立。", False)
        clock.freeze(past.bid_deadline + timedelta(days=1))
        services.begin_negotiation(users["staff.proc"], past)
        evaluation.seat_member(users["staff.proc"], past, users["expert"], SeatKind.EXPERT)
        evaluation.seat_member(users["staff.proc"], past, users["purchaser"], SeatKind.TENDERER_REP)
        services.record_negotiation(users["staff.proc"], past, {
            "price": "356000.00", "negotiated_at": now() - timedelta(hours=2), "place": "市公共资源交易中心第3谈判室",
            "cost_basis": "供应商提供的人工成本明细；该平台2025年运维合同价368,000元。",
            "terms": "服务期一年，7×24小时响应，故障4小时内修复；按季度支付。"})
        services.sign(users["purchaser"], past, True)
    finally:
        clock.freeze(loaded_at) if was_frozen else clock.unfreeze()
    # in its notice period now: anyone signed in may object
    _single_source(centres, orgs, users, "教育信息化平台运维服务单一来源采购（2026年下半年）", "400000.00", now())
    db.session.commit()
