"""Each e-supervision norm fires exactly at its boundary and not one second before (frozen clock).

The trade of `make_tender` is published at START (Mon 2 March 2026, 09:00 Beijing); its bid deadline
and opening time are Fri 27 March, 09:00. Each test walks it on with the real lifecycle and asks the
periodic pass (`tick`) or the triggering event what it finds.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from monitor.audit import log as audit
from monitor.cards import esupervision
from monitor.cards.models import Card, CardState
from tests.monitor.cards.cards_fixtures import (DEADLINE, SECOND, TO_PUBLICITY, cards, drive, go, levels, local,  # noqa: F401
                                          make_tender, sign_opening_record, tick, walk)
from trading.trades.flows import TradeState

MIN = timedelta(minutes=1)


def test_opening_late_is_yellow_after_15_minutes_and_red_after_30(db, users, make_tender):
    trade = make_tender()
    go(DEADLINE)
    walk(db, trade, users["staff"], "close")
    norm = "works.opening_on_time"
    go(DEADLINE + 15 * MIN - SECOND)
    tick()
    assert levels(db, trade, norm) == []
    go(DEADLINE + 15 * MIN)
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(DEADLINE + 30 * MIN - SECOND)
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(DEADLINE + 30 * MIN)
    tick()
    tick()  # idempotent: a second pass changes nothing
    [card] = cards(db, trade, norm)
    assert card.level.value == "red" and card.condition == "overdue"
    assert [e.move for e in card.events] == ["issue", "escalate"]
    assert card.due_at == DEADLINE + 30 * MIN
    # a late start does not close a red card: a supervisor does, after an answer
    walk(db, trade, users["staff"], "start_opening")
    assert levels(db, trade, norm) == ["red"]


def test_opening_on_time_resolves_the_yellow_card_by_itself(db, users, make_tender):
    from trading.notices.models import Notification

    trade = make_tender()
    go(DEADLINE + 20 * MIN)
    walk(db, trade, users["staff"], "close")
    assert levels(db, trade, "works.opening_on_time") == ["yellow"]  # the close itself triggered the engine
    walk(db, trade, users["staff"], "start_opening")  # within the 30 minutes: the condition cleared
    [card] = cards(db, trade, "works.opening_on_time", open_only=False)
    assert card.state is CardState.CLOSED and card.open_key is None
    assert [(e.move, e.actor_id) for e in card.events] == [("issue", None), ("resolve", None)]
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "card.resolve")).all()
    assert set(told) == {users["supervisor"].id, users["staff"].id}
    go(DEADLINE + 31 * MIN)
    tick()
    assert cards(db, trade, "works.opening_on_time") == []  # no red card: the opening started in time


def test_a_notice_without_tender_documents_is_carded_at_publication(db, users, make_tender):
    bare = make_tender(documents=False)
    assert levels(db, bare, "works.tender_documents") == ["yellow"]  # issued by the publish move, no tick
    [card] = cards(db, bare, "works.tender_documents")
    assert card.condition == "missing" and "Electronic Bidding Measures Arts. 20-21" in card.source
    with_docs = make_tender()
    tick()
    assert levels(db, with_docs, "works.tender_documents") == []


def test_opening_record_unsigned_after_24_hours(db, users, make_tender):
    from bidding.ceremony.models import OpeningCeremony, RecordSignature
    from bidding.keyholders.models import Keyholder, Side
    from trading.clock import now

    trade = make_tender()
    go(DEADLINE)
    walk(db, trade, users["staff"], "close", "start_opening", "finish_opening")
    norm = "works.opening_record_signed"
    go(DEADLINE + timedelta(hours=24) - SECOND)
    tick()
    assert levels(db, trade, norm) == []
    go(DEADLINE + timedelta(hours=24))
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    ceremony = OpeningCeremony(trade_id=trade.id, started_at=DEADLINE, finished_at=DEADLINE, record="{}",
                               record_sha256="ab" * 32)
    db.session.add(ceremony)
    # a signature that does not count (neither drawn for the trade nor its keyholder) leaves the card open
    db.session.add(RecordSignature(ceremony=ceremony, user_id=users["social"].id, record_sha256="ab" * 32,
                                   signed_at=now()))
    db.session.commit()
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    # the trade's supervising keyholder signs the opening record: the next pass closes the card
    db.session.add(Keyholder(trade_id=trade.id, user_id=users["supervisor"].id, side=Side.SUPERVISE,
                             appointed_by_id=users["decider"].id))
    db.session.add(RecordSignature(ceremony=ceremony, user_id=users["supervisor"].id, record_sha256="ab" * 32,
                                   signed_at=now()))
    db.session.commit()
    tick()
    assert levels(db, trade, norm) == []
    [card] = cards(db, trade, norm, open_only=False)
    assert card.events[-1].move == "resolve"


def test_evaluation_finished_in_less_than_an_hour_is_implausible(db, users, make_tender):
    norm = "works.evaluation_plausible"
    hasty, careful = make_tender(), make_tender()
    start = local(2026, 3, 30, 10)
    for trade in (hasty, careful):
        go(DEADLINE)
        walk(db, trade, users["staff"], "close", "start_opening", "finish_opening")
    go(start)
    walk(db, hasty, users["staff"], "start_evaluation")
    walk(db, careful, users["staff"], "start_evaluation")
    go(start + timedelta(hours=1) - SECOND)
    walk(db, hasty, users["staff"], "publicize")  # the move itself is judged at once
    go(start + timedelta(hours=1))
    walk(db, careful, users["staff"], "publicize")
    tick()
    [card] = cards(db, hasty, norm)
    assert card.level.value == "yellow" and card.condition == "too_fast"
    assert card.params["took_minutes"] == 59
    assert cards(db, careful, norm) == []


def test_candidates_published_within_three_days_of_evaluation(db, users, make_tender):
    """Start of evaluation Mon 30 March: the third day is Thu 2 April; red from Fri 3 April 00:00."""
    norm = "works.candidates_published"
    trade = make_tender()
    go(DEADLINE)
    walk(db, trade, users["staff"], "close", "start_opening", "finish_opening")
    go(local(2026, 3, 30, 10))
    walk(db, trade, users["staff"], "start_evaluation")
    go(local(2026, 4, 2) - SECOND)
    tick()
    assert levels(db, trade, norm) == []
    go(local(2026, 4, 2))
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(local(2026, 4, 3) - SECOND)
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(local(2026, 4, 3))
    tick()
    assert levels(db, trade, norm) == ["red"]


def test_publicity_of_candidates_lasts_three_full_days(db, users, make_tender):
    """Published Mon 6 April: the award may come from Fri 10 April 00:00, not a second earlier."""
    norm = "works.publicity_period"
    early, on_time = make_tender(), make_tender()
    drive(db, users["staff"], [early, on_time], TO_PUBLICITY)
    go(local(2026, 4, 10) - SECOND)
    walk(db, early, users["staff"], "award")
    go(local(2026, 4, 10))
    walk(db, on_time, users["staff"], "award")
    tick()
    [card] = cards(db, early, norm)
    assert card.level.value == "red" and card.condition == "too_fast"
    assert cards(db, on_time, norm) == []


def test_contract_within_30_days_a_sunday_last_day_moves_to_monday(db, users, make_tender):
    """Award Fri 10 April: day 30 is Sun 10 May, so the last day is Mon 11 May (民法典 203);
    yellow three days before the end, red from Tue 12 May 00:00."""
    norm = "works.contract_in_time"
    trade = make_tender()
    drive(db, users["staff"], [trade], TO_PUBLICITY)
    go(local(2026, 4, 10, 10))
    walk(db, trade, users["staff"], "award")
    go(local(2026, 5, 9) - SECOND)
    tick()
    assert levels(db, trade, norm) == []
    go(local(2026, 5, 9))
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(local(2026, 5, 12) - SECOND)
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(local(2026, 5, 12))
    tick()
    assert levels(db, trade, norm) == ["red"]


def test_deposits_refunded_within_five_days_of_the_contract(db, users, make_tender, make_org):
    """Contract Mon 13 April: day 5 is Sat 18 April, so the last day is Mon 20 April; red from Tue 21."""
    from bidding.deposits import services as deposits
    from trading.accounts.models import OrgKind

    norm = "works.deposit_refund"
    trade = make_tender()
    slow_org, quick_org = users["bidder"].organisation, make_org(OrgKind.BIDDER)
    go(local(2026, 3, 5, 10))
    slow = deposits.record_deposit(users["staff"], trade, slow_org.id, Decimal("100000.00"))
    quick = deposits.record_deposit(users["staff"], trade, quick_org.id, "80000")
    db.session.commit()
    drive(db, users["staff"], [trade], TO_PUBLICITY)
    go(local(2026, 4, 10, 10))
    walk(db, trade, users["staff"], "award")
    go(local(2026, 4, 13, 10))
    walk(db, trade, users["staff"], "contract")
    go(local(2026, 4, 17, 15))
    deposits.settle_deposit(users["staff"], quick, "refund")
    db.session.commit()
    go(local(2026, 4, 20) - SECOND)
    tick()
    assert levels(db, trade, norm) == []
    go(local(2026, 4, 20))
    tick()
    [card] = cards(db, trade, norm)
    assert card.level.value == "yellow" and card.subject == f"deposit:{slow.id}"
    go(local(2026, 4, 21) - SECOND)
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(local(2026, 4, 21))
    tick()
    [card] = cards(db, trade, norm)
    assert card.level.value == "red" and card.subject == f"deposit:{slow.id}"
    # the executing staff read the company; a reader the card does not know, its pseudonym (no
    # opening record names it: this trade moved past the opening without one)
    assert slow_org.name in card.detail_for(users["staff"])
    assert slow_org.name not in card.detail and slow_org.name not in card.detail_for(users["supervisor"])


def test_a_withdrawn_bidder_is_refunded_within_five_days_of_withdrawal(db, users, make_tender):
    """Withdrawn Tue 10 March: day 5 is Sun 15 March, so the last day is Mon 16 March; red from Tue 17."""
    from bidding.deposits import services as deposits
    from bidding.submission.models import Bid, BidState

    trade = make_tender()
    org = users["bidder"].organisation
    go(local(2026, 3, 5, 10))
    deposits.record_deposit(users["staff"], trade, org.id, "100000.00")
    db.session.commit()
    go(local(2026, 3, 10, 11))
    db.session.add(Bid(trade_id=trade.id, organisation_id=org.id, submitted_by_id=users["bidder"].id, version=1,
                       state=BidState.WITHDRAWN, sha256="00" * 32, size=1, received_at=local(2026, 3, 9, 9),
                       receipt="{}", withdrawn_at=local(2026, 3, 10, 11)))
    db.session.commit()
    go(local(2026, 3, 17) - SECOND)
    tick()
    assert levels(db, trade, "works.deposit_refund") == ["yellow"]
    go(local(2026, 3, 17))
    tick()
    assert levels(db, trade, "works.deposit_refund") == ["red"]


def test_procurement_deposit_working_days_skip_the_weekend_and_a_holiday(db, users, make_tender):
    """O87 38: 5 working days. Contract Thu 16 April; with Mon 20 April a holiday the fifth working day
    is Fri 24 April (without it: Thu 23), so the card is yellow on the 24th and red from Sat 25 00:00."""
    from bidding.deposits import services as deposits
    from trading.rules import services as calendar

    norm = "gp.deposit_refund"
    trade = make_tender("gp_open_tender", "PROC")
    staff = users["staff_proc"]
    go(local(2026, 3, 5, 10))
    deposits.record_deposit(staff, trade, users["bidder"].organisation_id, "50000")
    calendar.set_day(users["decider"], date(2026, 4, 20), "holiday", "Test holiday")
    db.session.commit()
    go(DEADLINE)
    walk(db, trade, staff, "close", "start_opening", "finish_opening")
    go(local(2026, 4, 14, 9))
    walk(db, trade, staff, "start_evaluation")
    go(local(2026, 4, 14, 12))
    walk(db, trade, staff, "publicize", "award")
    go(local(2026, 4, 16, 10))
    walk(db, trade, staff, "contract")
    go(local(2026, 4, 23) - SECOND)
    tick()
    assert levels(db, trade, norm) == []
    go(local(2026, 4, 24))  # would be red without the holiday
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(local(2026, 4, 25) - SECOND)
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(local(2026, 4, 25))
    tick()
    assert levels(db, trade, norm) == ["red"]


def test_result_notice_within_two_working_days_of_the_award(db, users, make_tender):
    """GPR 43: award Fri 17 April 10:00: two working days are Mon 20 and Tue 21; red from Wed 22 00:00."""
    norm = "gp.result_published"
    trade = make_tender("gp_open_tender", "PROC")
    staff = users["staff_proc"]
    go(DEADLINE)
    walk(db, trade, staff, "close", "start_opening", "finish_opening", "start_evaluation")
    go(local(2026, 4, 17, 9))
    walk(db, trade, staff, "publicize")
    go(local(2026, 4, 17, 10))
    walk(db, trade, staff, "award")
    go(local(2026, 4, 21) - SECOND)
    tick()
    assert levels(db, trade, norm) == []
    go(local(2026, 4, 21))
    tick()
    assert levels(db, trade, norm) == ["yellow"]
    go(local(2026, 4, 22))
    tick()
    assert levels(db, trade, norm) == ["red"]


def test_a_suspended_trade_is_not_judged_while_paused(db, users, make_tender):
    from monitor.cards import services as card_services

    trade = make_tender()
    go(DEADLINE + 20 * MIN)
    walk(db, trade, users["staff"], "close")
    assert levels(db, trade, "works.opening_on_time") == ["yellow"]
    card_services.pause_trade(users["supervisor"], trade, "complaint about the documents (Reg 22)")
    db.session.commit()
    go(DEADLINE + 2 * 60 * MIN)
    tick()
    assert levels(db, trade, "works.opening_on_time") == ["yellow"]  # held, not escalated, not resolved
    card_services.resume_trade(users["supervisor"], trade, "complaint answered")
    db.session.commit()
    assert levels(db, trade, "works.opening_on_time") == ["red"]  # the period was not extended


def _finished(db, users, make_tender, n: int = 1) -> list:
    """Trades run by the book: opened on time, record signed, candidates published for three full
    days, awarded and contracted at once, the award reported in writing (Law 47)."""
    from bidding.award.services import report_award

    trades = [make_tender() for _ in range(n)]
    drive(db, users["staff"], trades, TO_PUBLICITY[:1])
    for trade in trades:
        sign_opening_record(db, trade, users["supervisor"])
    drive(db, users["staff"], trades, TO_PUBLICITY[1:] + [(local(2026, 4, 10, 10), ("award", "contract"))])
    for trade in trades:
        report_award(users["tenderer"], trade, "招标投标情况书面报告")
    db.session.commit()
    return trades


def test_a_trade_run_by_the_book_has_no_card(db, users, make_tender):
    [trade] = _finished(db, users, make_tender)
    go(local(2026, 6, 1))
    tick()
    assert [c.norm for c in cards(db, trade, open_only=False)] == []


def _tamper(db, trade, how: str) -> str:
    from trading.trades.models import TradeTransition

    rows = {r.move: r for r in trade.history}
    table = TradeTransition.__table__
    intruder = {"execution_options": {audit.UNLOGGED: True}}  # straight into the database, past the log
    if how == "backwards":  # the award dated before the publication of the candidates
        db.session.execute(sa.update(table).where(table.c.id == rows["award"].id)
                           .values(at=rows["publicize"].at - timedelta(hours=1)), **intruder)
    elif how == "before_milestone":  # the bids "closed" a day before the deadline
        db.session.execute(sa.update(table).where(table.c.id == rows["close"].id)
                           .values(at=trade.bid_deadline - timedelta(days=1)), **intruder)
    elif how == "chain":  # a rewritten record: evaluation "started" from a stage the trade was not in
        db.session.execute(sa.update(table).where(table.c.id == rows["start_evaluation"].id)
                           .values(from_state="EVALUATING"), **intruder)
    elif how == "state":  # the stage changed without a recorded move
        db.session.execute(sa.text("UPDATE trades SET state = 'ARCHIVED' WHERE id = :id"), {"id": trade.id}, **intruder)
    db.session.commit()
    return how


def test_records_out_of_order_are_red(db, users, make_tender):
    kinds = ("backwards", "before_milestone", "chain", "state")
    trades = dict(zip(kinds, _finished(db, users, make_tender, len(kinds))))
    for how, trade in trades.items():
        _tamper(db, trade, how)
    db.session.expire_all()
    tick()
    tick()
    for how, trade in trades.items():
        found = cards(db, trade, "works.flow_order")
        assert [(c.level.value, c.params["problem"]) for c in found] == [("red", how)], how
        assert found[0].title and found[0].detail


def test_two_workers_issuing_the_same_card_keep_one(db, users, make_tender):
    """The open card's key is unique in the database: a second issuer gives way."""
    trade = make_tender(documents=False)
    [card] = cards(db, trade, "works.tender_documents")
    [finding] = [f for f in esupervision.evaluate(trade) if f.norm == "works.tender_documents"]
    assert esupervision._issue_once(trade, finding, finding.due_at) is None
    db.session.commit()
    assert len(cards(db, trade, "works.tender_documents")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Card)) == 1


def test_flask_monitor_tick_runs_the_engine(db, users, make_tender, runner):
    trade = make_tender()
    go(DEADLINE)
    walk(db, trade, users["staff"], "close")
    go(DEADLINE + 31 * MIN)
    result = runner.invoke(args=["monitor", "tick"])
    assert result.exit_code == 0, result.output
    assert levels(db, trade, "works.opening_on_time") == ["red"]
    assert runner.invoke(args=["monitor", "tick"]).exit_code == 0
    assert len(cards(db, trade, "works.opening_on_time", open_only=False)) == 1


def test_every_norm_cites_a_source_and_describes_itself(app):
    from trading.rules.model import registry
    from trading.rules.norms import DepositRefund, EachWithin, FlowOrder, MinInterval, RequiredRecord, TimeLimit

    with app.test_request_context("/?lang=en"):
        seen = set()
        for rule_set in registry.all():
            codes = [n.code for n in rule_set.norms]
            assert len(codes) == len(set(codes)), rule_set.key
            for norm in rule_set.norms:
                assert isinstance(norm, (TimeLimit, RequiredRecord, MinInterval, FlowOrder, DepositRefund, EachWithin))
                assert norm.source.zh and norm.source.en and norm.source.certainty in "✓~?"
                assert norm.describe()
                seen.add(type(norm))
        assert seen == {TimeLimit, RequiredRecord, MinInterval, FlowOrder, DepositRefund, EachWithin}
        assert registry.get("works_open_tender").norm("works.contract_in_time").describe() == \
            "the contract within 30 days of the award"


def test_span_counts_legal_days_and_sandbox_speed(app):
    """Span.end is the first instant past the period: local midnight after its last day (民法典 201, 203)."""
    from trading.rules.days import WorkCalendar
    from trading.rules.model import Unit
    from trading.rules.norms import Span

    with app.app_context():
        calendar = WorkCalendar(holidays=frozenset({date(2026, 4, 20)}))
        thursday = local(2026, 4, 16, 10)
        assert Span(5, Unit.WORKING_DAYS).end(thursday, calendar) == local(2026, 4, 25)
        assert Span(5, Unit.WORKING_DAYS).end(thursday, WorkCalendar()) == local(2026, 4, 24)
        # day 3 is Sun 19 April, a rest day; Mon 20 is a holiday: the last day is Tue 21 (民法典 203)
        assert Span(3, Unit.DAYS).end(thursday, calendar) == local(2026, 4, 22)
        assert Span(exact=timedelta(minutes=30)).end(thursday, calendar, accelerator=10) == thursday + 3 * MIN
        assert Span(3, Unit.DAYS).end(thursday, WorkCalendar(), accelerator=2) == \
            thursday + (local(2026, 4, 21) - thursday) / 2
