"""Single source (单一来源) from the plan to the contract: the notice of at least 5 working days (GPR 38), objections
during it (O74 39) answered after it (O74 40), an upheld one stopping the procurement; the negotiation record with
the agreed price not above the budget, signed by every panel member (O74 43); the award and the contract."""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from bidding.award import services as award
from procurement.results import services as results
from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from procurement.direct import services
from tests.conftest import CST, START
from tests.procurement.direct.helpers import SECOND, notice_end, notice_last_day, single_source
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.reserved import ReservedMove


def _record_data(price="468000.00", at=None):
    return {"price": price, "negotiated_at": at or notice_end() + timedelta(hours=2), "place": "市采购中心第3谈判室",
            "cost_basis": "供应商提供的成本构成及近两年同类合同价格", "terms": "交货期30天，质保3年"}


def _negotiating(db, users, trade, clock):
    clock.freeze(notice_end() + timedelta(hours=1))
    services.begin_negotiation(users["staff_proc"], trade)
    evaluation.seat_member(users["staff_proc"], trade, users["expert"], SeatKind.EXPERT)
    evaluation.seat_member(users["staff_proc"], trade, users["tenderer"], SeatKind.TENDERER_REP)
    db.session.commit()
    clock.freeze(notice_end() + timedelta(hours=3))


def test_the_notice_period_is_five_working_days_at_its_boundary(db, users, gp_trade):
    """GPR 38: the start day not counted, Monday 2 March 2026 → Monday 9 March; a day less is refused."""
    assert notice_last_day().isoformat() == "2026-03-09"
    end = notice_end()
    gp_trade("gp_single_source", issue_at=START, docs_until=end, bid_deadline=end, opening_at=end)
    short = end - timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        gp_trade("gp_single_source", issue_at=START, docs_until=short, bid_deadline=short, opening_at=short)
    assert "第38条" in str(refused.value.errors)


def test_single_source_from_the_plan_to_the_contract(db, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan)
    _negotiating(db, users, trade, clock)
    record = services.record_negotiation(users["staff_proc"], trade, _record_data())
    db.session.commit()
    assert record.price == Decimal("468000.00")
    with pytest.raises(IllegalMove) as early:
        services.conclude(users["staff_proc"], trade)
    assert early.value.code == "unsigned"
    services.sign(users["expert"], trade, True)
    services.sign(users["tenderer"], trade, False, "质保期应为5年")  # a dissent with its reason still signs
    lst = services.conclude(users["staff_proc"], trade)
    db.session.commit()
    assert trade.state is TradeState.PUBLICITY
    (candidate,) = lst.candidates
    assert candidate.organisation_id == users["bidder"].organisation_id and candidate.price == Decimal("468000.00")
    assert candidate.bid_id is None and candidate.entry_id is None
    decision = results.decide(users["tenderer"], trade).award  # the purchaser decides (O87 68), not the centre
    db.session.commit()
    assert decision.organisation_id == users["bidder"].organisation_id and decision.price == Decimal("468000.00")
    with pytest.raises(InvalidInput) as off:
        award.record_contract(users["staff_proc"], trade, "470000.00", "0.00", clock.now(), "c.pdf",
                              "application/pdf", io.BytesIO(b"%PDF-1.4"))
    assert "amount" in off.value.errors
    award.record_contract(users["staff_proc"], trade, "468000.00", "0.00", clock.now(), "c.pdf", "application/pdf",
                          io.BytesIO(b"%PDF-1.4 contract"))
    db.session.commit()
    assert trade.state is TradeState.CONTRACTED
    from procurement.plans.savings import savings

    row = savings(users["tenderer"], "project")["rows"][0]
    assert row["saving"] == Decimal("32000.00")


def test_objections_only_during_the_notice_period(db, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan, supplier="bidder")
    end = notice_end()
    clock.freeze(START - SECOND)  # published, the period not begun (announced: issue_at is START)
    clock.freeze(end - SECOND)
    filed = services.file_objection(users["other_tenderer"], trade, "另有供应商能够提供同等产品")
    assert filed.answer_due > end
    clock.freeze(end)
    with pytest.raises(IllegalMove) as late:
        services.file_objection(users["other_tenderer"], trade, "再次提出")
    assert late.value.code == "notice_closed" and "第39条" in late.value.message
    for who in ("tenderer", "staff_proc", "decider"):  # the purchaser and the centre do not object
        with pytest.raises(NotAllowed):
            services.file_objection(users[who], trade, "x")


def test_an_objection_is_answered_after_the_period_and_holds_up_the_negotiation(db, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan)
    clock.freeze(notice_end() - timedelta(days=1))
    objection = services.file_objection(users["other_tenderer"], trade, "另有供应商能够提供同等产品")
    with pytest.raises(IllegalMove) as running:
        services.answer_objection(users["tenderer"], objection, "不成立", False)
    assert running.value.code == "notice_running"
    clock.freeze(notice_end() + timedelta(hours=1))
    with pytest.raises(IllegalMove) as held:
        services.begin_negotiation(users["staff_proc"], trade)
    assert held.value.code == "objection_open"
    with pytest.raises(NotAllowed):
        services.answer_objection(users["bidder"], objection, "不成立", False)
    with pytest.raises(InvalidInput):
        services.answer_objection(users["tenderer"], objection, "  ", False)
    services.answer_objection(users["tenderer"], objection, "经补充论证，该产品为专利产品，异议不成立", False)
    db.session.commit()
    with pytest.raises(IllegalMove) as twice:
        services.answer_objection(users["tenderer"], objection, "again", True)
    assert twice.value.code == "already_answered"
    services.begin_negotiation(users["staff_proc"], trade)
    assert trade.state is TradeState.EVALUATING


def test_an_upheld_objection_stops_the_single_source(db, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan)
    clock.freeze(notice_end() - timedelta(days=1))
    objection = services.file_objection(users["other_tenderer"], trade, "我公司同样能提供该专利产品的授权服务")
    clock.freeze(notice_end() + timedelta(days=1))
    services.answer_objection(users["tenderer"], objection, "经补充论证异议成立，改用其他采购方式", True)
    db.session.commit()
    assert trade.state is TradeState.SUSPENDED and services.stopped(trade)
    assert "异议成立" in services.source_of(trade).stopped_reason
    import sqlalchemy as sa
    from trading.trades.models import TradeTransition

    last = db.session.scalar(sa.select(TradeTransition).where(TradeTransition.trade_id == trade.id)
                             .order_by(TradeTransition.id.desc()).limit(1))
    assert last.move == "pause_for_challenge" and "异议成立" in last.reason
    with pytest.raises(IllegalMove) as stopped:
        services.begin_negotiation(users["staff_proc"], trade)
    assert stopped.value.code == "stopped"
    with pytest.raises(ReservedMove):
        trades.move(trade, "resume", users["staff_proc"], reason="继续")
    trades.move(trade, "cancel", users["decider"], reason="单一来源异议成立，改用询价")
    assert trade.state is TradeState.CANCELLED


def test_no_negotiation_before_the_period_ends(db, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan)
    clock.freeze(notice_end() - SECOND)
    with pytest.raises(IllegalMove) as early:
        services.begin_negotiation(users["staff_proc"], trade)
    assert early.value.code == "notice_running"
    clock.freeze(notice_end())
    services.begin_negotiation(users["staff_proc"], trade)
    assert trade.state is TradeState.EVALUATING


def test_the_agreed_price_is_not_above_the_budget_at_its_boundary(db, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan, price="500000.00")
    _negotiating(db, users, trade, clock)
    with pytest.raises(InvalidInput) as over:
        services.record_negotiation(users["staff_proc"], trade, _record_data("500000.01"))
    assert "price" in over.value.errors and "500,000.00" in over.value.errors["price"][0]
    for bad in ("-1", "abc", "100.001", "0"):
        with pytest.raises(InvalidInput) as wrong:
            services.record_negotiation(users["staff_proc"], trade, _record_data(bad))
        assert "price" in wrong.value.errors
    with pytest.raises(InvalidInput) as before:
        services.record_negotiation(users["staff_proc"], trade, _record_data(at=notice_end() - SECOND))
    assert "negotiated_at" in before.value.errors
    assert services.record_of(trade) is None  # nothing partial
    services.record_negotiation(users["staff_proc"], trade, _record_data("500000.00"))
    db.session.commit()
    with pytest.raises(IllegalMove) as again:
        services.record_negotiation(users["staff_proc"], trade, _record_data("400000.00"))
    assert again.value.code == "recorded"


def test_only_panel_members_sign_once_and_a_dissent_needs_its_reason(db, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan)
    _negotiating(db, users, trade, clock)
    with pytest.raises(IllegalMove) as nothing:
        services.sign(users["expert"], trade, True)
    assert nothing.value.code == "no_record"
    services.record_negotiation(users["staff_proc"], trade, _record_data())
    with pytest.raises(InvalidInput) as bare:
        services.sign(users["expert"], trade, False, " ")
    assert "dissent" in bare.value.errors
    services.sign(users["expert"], trade, True)
    with pytest.raises(IllegalMove) as twice:
        services.sign(users["expert"], trade, True)
    assert twice.value.code == "already_signed"
    with pytest.raises(NotAllowed):
        services.sign(users["bidder"], trade, True)


def test_the_candidate_comes_only_from_the_signed_record(db, users, gp_trade, plan, clock):
    trade = single_source(db, users, gp_trade, plan)
    _negotiating(db, users, trade, clock)
    with pytest.raises(ReservedMove):
        trades.move(trade, "publicize", users["staff_proc"])
