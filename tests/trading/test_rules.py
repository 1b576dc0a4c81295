"""Every rule of every registered rule set, at its boundary, citing its source."""
from __future__ import annotations

import re

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.conftest import CST, START, tender_timeline
from trading import _register_rule_sets
from trading.errors import InvalidInput
from trading.rules.days import CalendarDay, DayKind, load_calendar
from trading.rules.model import MaxShare, MinPeriod, Order, SameMoment, Unit, registry
from trading.trades import services
from trading.trades.models import Trade, TradeTransition

# The composition root registers the rule sets; doing it here too (idempotent) lets pytest
# parametrise over exactly what the app registers. test_registry_is_what_the_app_registers checks it.
_register_rule_sets()
RULE_SETS = registry.all()
MIN_PERIODS = [(rs.key, rule) for rs in RULE_SETS for rule in rs.rules if isinstance(rule, MinPeriod)]
SAME_MOMENTS = [(rs.key, rule) for rs in RULE_SETS for rule in rs.rules if isinstance(rule, SameMoment)]
MAX_SHARES = [(rs.key, rule) for rs in RULE_SETS for rule in rs.rules if isinstance(rule, MaxShare)]
ORDERS = [(rs.key, rule) for rs in RULE_SETS for rule in rs.rules if isinstance(rule, Order)]


def _id(pair):
    return f"{pair[0]}:{pair[1].code}" if isinstance(pair, tuple) else None


def reference_last_day(first: date, amount: int, working: bool, holidays=(), workdays=()) -> date:
    """An independent, brute-force reading of 民法典 201/203 for the tests."""
    def works(d):
        return d in workdays or (d not in holidays and d.weekday() < 5)

    if working:
        d, n = first, 0
        while n < amount:
            d += timedelta(days=1)
            n += works(d)
        return d
    d = first + timedelta(days=amount)
    while amount and not works(d):
        d += timedelta(days=1)
    return d


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=CST)


def trade_for(key: str, sandbox: bool = False, accelerator: int = 1, **values) -> Trade:
    """A transient Trade (never added to the session) with just the given milestones."""
    return Trade(method=key, sandbox=sandbox, accelerator=accelerator, **values)


def cites(message: str, source: str) -> bool:
    """The message names the source in brackets (ASCII or full-width, as the translation has it)."""
    return re.search(r"[(（]" + re.escape(source) + r"[)）]", message) is not None


def codes(violations) -> set[str]:
    return {v.code for v in violations}


@pytest.fixture
def holiday(db):
    def add(day: date, kind: DayKind = DayKind.HOLIDAY):
        db.session.add(CalendarDay(day=day, kind=kind, name="test"))
        db.session.commit()

    return add


def test_registry_is_what_the_app_registers(app):
    from procurement.rulesets import RULE_SETS as PROC
    from trading.rules.sets import RULE_SETS as CORE

    assert {rs.key for rs in registry.all()} == {rs.key for rs in (*CORE, *PROC)}
    assert len(registry.all()) == 12
    assert MIN_PERIODS, "no MinPeriod rule found"


@pytest.mark.parametrize("key, rule", MIN_PERIODS, ids=[_id(p) for p in MIN_PERIODS])
@pytest.mark.parametrize("start_hour", [9, 23])
def test_min_period_boundary(db, key, rule, start_hour):
    """End on the earliest legal day passes (even at 00:00); the last second of the day before fails."""
    rs = registry.get(key)
    start = datetime(2026, 3, 2, start_hour, 30, tzinfo=CST)
    earliest = reference_last_day(start.date(), rule.amount, rule.unit is Unit.WORKING_DAYS)
    cal = load_calendar()

    ok = trade_for(key, **{rule.start: start, rule.end: local_midnight(earliest)})
    assert rule.check(ok, cal) is None
    assert rule.code not in codes(rs.check(ok, cal))

    late = trade_for(key, **{rule.start: start, rule.end: local_midnight(earliest) - timedelta(seconds=1)})
    v = rule.check(late, cal)
    assert v is not None
    assert v.field == rule.end
    assert v.code == rule.code
    assert cites(v.message, rule.source.zh)
    assert str(rule.amount) in v.message
    assert [x for x in rs.check(late, cal) if x.code == rule.code] == [v]


@pytest.mark.parametrize("key, rule", MIN_PERIODS, ids=[_id(p) for p in MIN_PERIODS])
def test_min_period_message_in_english_cites_english_source(db, key, rule):
    start = START
    late = trade_for(key, **{rule.start: start, rule.end: start})
    if rule.amount == 0:
        pytest.skip("a zero period cannot be broken")
    with force_locale("en"):
        v = rule.check(late, load_calendar())
        assert cites(v.message, rule.source.en)
    with force_locale("zh_CN"):
        assert cites(rule.check(late, load_calendar()).message, rule.source.zh)


def test_message_in_request_context_uses_chinese_default(app):
    rule = registry.get("works_open_tender").rules[1]
    with app.test_request_context("/"):
        v = rule.check(trade_for("works_open_tender", issue_at=START, bid_deadline=START), load_calendar())
        assert cites(v.message, "招标投标法 第24条")
    with app.test_request_context("/?lang=en"):
        v = rule.check(trade_for("works_open_tender", issue_at=START, bid_deadline=START), load_calendar())
        assert cites(v.message, "Tendering Law Art. 24")


CALENDAR_DAY_RULES = [p for p in MIN_PERIODS if p[1].unit is Unit.DAYS]
WORKING_DAY_RULES = [p for p in MIN_PERIODS if p[1].unit is Unit.WORKING_DAYS]


def test_both_units_are_covered():
    assert CALENDAR_DAY_RULES and WORKING_DAY_RULES


@pytest.mark.parametrize("key, rule", CALENDAR_DAY_RULES, ids=[_id(p) for p in CALENDAR_DAY_RULES])
def test_calendar_period_ending_on_weekend_extends_to_monday(db, key, rule):
    saturday = date(2026, 4, 4)
    first = saturday - timedelta(days=rule.amount)
    start = datetime.combine(first, time(10, 0), tzinfo=CST)
    cal = load_calendar()
    monday = date(2026, 4, 6)
    for day in (saturday, monday - timedelta(days=1)):
        end = datetime.combine(day, time(18, 0), tzinfo=CST)
        v = rule.check(trade_for(key, **{rule.start: start, rule.end: end}), cal)
        assert v is not None and v.field == rule.end, day
    assert rule.check(trade_for(key, **{rule.start: start, rule.end: local_midnight(monday)}), cal) is None


@pytest.mark.parametrize("key, rule", CALENDAR_DAY_RULES, ids=[_id(p) for p in CALENDAR_DAY_RULES])
def test_calendar_period_ending_on_holiday_extends(db, holiday, key, rule):
    wednesday = date(2026, 4, 8)
    first = wednesday - timedelta(days=rule.amount)
    start = datetime.combine(first, time(10, 0), tzinfo=CST)
    end_wed = trade_for(key, **{rule.start: start, rule.end: datetime.combine(wednesday, time(9), tzinfo=CST)})
    assert rule.check(end_wed, load_calendar()) is None  # an ordinary Wednesday: fine
    holiday(wednesday)
    v = rule.check(end_wed, load_calendar())
    assert v is not None and v.field == rule.end and cites(v.message, rule.source.zh)
    thursday = trade_for(key, **{rule.start: start, rule.end: local_midnight(date(2026, 4, 9))})
    assert rule.check(thursday, load_calendar()) is None


@pytest.mark.parametrize("key, rule", CALENDAR_DAY_RULES, ids=[_id(p) for p in CALENDAR_DAY_RULES])
def test_calendar_period_ending_on_makeup_workday_is_not_extended(db, holiday, key, rule):
    sunday = date(2026, 4, 5)
    start = datetime.combine(sunday - timedelta(days=rule.amount), time(10, 0), tzinfo=CST)
    on_sunday = trade_for(key, **{rule.start: start, rule.end: datetime.combine(sunday, time(9), tzinfo=CST)})
    assert rule.check(on_sunday, load_calendar()) is not None
    holiday(sunday, DayKind.WORKDAY)
    assert rule.check(on_sunday, load_calendar()) is None


@pytest.mark.parametrize("key, rule", WORKING_DAY_RULES, ids=[_id(p) for p in WORKING_DAY_RULES])
def test_working_day_period_across_weekend_and_holiday(db, holiday, key, rule):
    start = datetime(2026, 3, 6, 15, 0, tzinfo=CST)  # a Friday
    holidays = {date(2026, 3, 10)}  # a Tuesday
    for d in holidays:
        holiday(d)
    earliest = reference_last_day(start.date(), rule.amount, True, holidays)
    # weekend and holiday both skipped: the period spans more calendar days than its amount
    assert (earliest - start.date()).days >= rule.amount + 3
    cal = load_calendar()
    assert rule.check(trade_for(key, **{rule.start: start, rule.end: local_midnight(earliest)}), cal) is None
    v = rule.check(trade_for(key, **{rule.start: start, rule.end: local_midnight(earliest) - timedelta(seconds=1)}),
                   cal)
    assert v is not None and v.field == rule.end and v.code == rule.code


def test_property_disclosure_20_working_days_pinned(db, holiday):
    rule = next(r for r in registry.get("property_listing").rules if isinstance(r, MinPeriod))
    assert (rule.amount, rule.unit) == (20, Unit.WORKING_DAYS)

    def ok(end_day):
        t = trade_for("property_listing", issue_at=START, bid_deadline=datetime.combine(end_day, time(10), tzinfo=CST))
        return rule.check(t, load_calendar()) is None

    assert ok(date(2026, 3, 30)) and not ok(date(2026, 3, 29)) and not ok(date(2026, 3, 27))
    holiday(date(2026, 3, 10))
    assert not ok(date(2026, 3, 30)) and ok(date(2026, 3, 31))


def test_negotiation_three_working_days_over_a_weekend_and_holiday_pinned(db, holiday):
    rule = next(r for r in registry.get("gp_competitive_negotiation").rules if isinstance(r, MinPeriod))
    friday = datetime(2026, 3, 6, 9, 0, tzinfo=CST)

    def ok(day):
        t = trade_for("gp_competitive_negotiation", issue_at=friday,
                      bid_deadline=datetime.combine(day, time(9), tzinfo=CST))
        return rule.check(t, load_calendar()) is None

    assert ok(date(2026, 3, 11)) and not ok(date(2026, 3, 10))
    holiday(date(2026, 3, 9))
    assert ok(date(2026, 3, 12)) and not ok(date(2026, 3, 11))


def test_works_deadline_twenty_days_pinned(db):
    """Issued Monday 2 March: day 20 is Sunday 22, so the deadline may be Monday 23 at the earliest."""
    rs = registry.get("works_open_tender")
    for day, good in ((date(2026, 3, 21), False), (date(2026, 3, 22), False), (date(2026, 3, 23), True)):
        t = trade_for("works_open_tender", issue_at=START, bid_deadline=datetime.combine(day, time(9), tzinfo=CST))
        assert ("works.docs_to_deadline" not in codes(rs.check(t, load_calendar()))) is good, day


# --- sandbox trades: periods divided by the accelerator ---------------------------------------------

@pytest.mark.parametrize("key, rule", MIN_PERIODS, ids=[_id(p) for p in MIN_PERIODS])
@pytest.mark.parametrize("accelerator", [2, 10, 1440])
def test_sandbox_period_divided_by_accelerator(db, key, rule, accelerator):
    start = START
    last = reference_last_day(start.date(), rule.amount, rule.unit is Unit.WORKING_DAYS)
    earliest = start + timedelta(days=(last - start.date()).days) / accelerator
    cal = load_calendar()
    t = trade_for(key, sandbox=True, accelerator=accelerator, **{rule.start: start, rule.end: earliest})
    assert rule.check(t, cal) is None
    t = trade_for(key, sandbox=True, accelerator=accelerator,
                  **{rule.start: start, rule.end: earliest - timedelta(seconds=1)})
    v = rule.check(t, cal)
    assert v is not None and v.field == rule.end and cites(v.message, rule.source.zh)


def test_sandbox_works_deadline_pinned(db):
    """20 days from Monday end Sunday → Monday 23: 21 real days, ÷10 = 50 h 24 min."""
    rule = registry.get("works_open_tender").rules[1]
    assert rule.code == "works.docs_to_deadline"
    cal = load_calendar()
    edge = START + timedelta(hours=50, minutes=24)
    assert rule.check(trade_for("works_open_tender", True, 10, issue_at=START, bid_deadline=edge), cal) is None
    assert rule.check(trade_for("works_open_tender", True, 10, issue_at=START,
                                bid_deadline=edge - timedelta(seconds=1)), cal) is not None
    # a real trade with the same timeline is far too short
    assert rule.check(trade_for("works_open_tender", False, 1, issue_at=START, bid_deadline=edge), cal) is not None


def test_sandbox_accelerator_one_counts_like_a_real_trade(db):
    rule = registry.get("works_open_tender").rules[1]
    t = trade_for("works_open_tender", True, 1, issue_at=START, bid_deadline=local_midnight(date(2026, 3, 23)))
    assert rule.check(t, load_calendar()) is None
    t = trade_for("works_open_tender", True, 1, issue_at=START,
                  bid_deadline=local_midnight(date(2026, 3, 23)) - timedelta(seconds=1))
    assert rule.check(t, load_calendar()) is not None


# --- SameMoment, Order, MaxShare --------------------------------------------------------------------

@pytest.mark.parametrize("key, rule", SAME_MOMENTS, ids=[_id(p) for p in SAME_MOMENTS])
def test_opening_must_equal_deadline(db, key, rule):
    assert (rule.first, rule.second) == ("bid_deadline", "opening_at")
    deadline = START + timedelta(days=30)
    cal = load_calendar()
    assert rule.check(trade_for(key, bid_deadline=deadline, opening_at=deadline), cal) is None
    # the same instant written in another time zone is the same moment
    assert rule.check(trade_for(key, bid_deadline=deadline, opening_at=deadline.astimezone(timezone.utc)), cal) is None
    for delta in (timedelta(seconds=1), timedelta(seconds=-1), timedelta(hours=1)):
        v = rule.check(trade_for(key, bid_deadline=deadline, opening_at=deadline + delta), cal)
        assert v is not None and v.field == "opening_at" and v.code == rule.code
        assert cites(v.message, rule.source.zh)


@pytest.mark.parametrize("key, rule", ORDERS, ids=[_id(p) for p in ORDERS])
def test_docs_sale_ends_before_deadline(db, key, rule):
    deadline = START + timedelta(days=30)
    cal = load_calendar()
    assert rule.check(trade_for(key, docs_until=deadline, bid_deadline=deadline), cal) is None
    v = rule.check(trade_for(key, docs_until=deadline + timedelta(seconds=1), bid_deadline=deadline), cal)
    assert v is not None and v.field == rule.end == "bid_deadline"


@pytest.mark.parametrize("key, rule", MAX_SHARES, ids=[_id(p) for p in MAX_SHARES])
@pytest.mark.parametrize("base", [Decimal("5000000.00"), Decimal("1234567.89"), Decimal("100.00")])
def test_bid_security_at_most_two_percent(db, key, rule, base):
    assert rule.percent == Decimal(2)
    exact = base * rule.percent / 100
    cal = load_calendar()
    if exact == exact.quantize(Decimal("0.01")):
        assert rule.check(trade_for(key, estimated_price=base, bid_security=exact.quantize(Decimal("0.01"))),
                          cal) is None
    floor = exact.quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
    assert rule.check(trade_for(key, estimated_price=base, bid_security=floor), cal) is None
    v = rule.check(trade_for(key, estimated_price=base, bid_security=floor + Decimal("0.01")), cal)
    assert v is not None and v.field == "bid_security" and v.code == rule.code
    assert cites(v.message, rule.source.zh)
    assert rule.check(trade_for(key, estimated_price=base, bid_security=None), cal) is None


def test_bid_security_pinned(db):
    rule = next(r for r in registry.get("works_open_tender").rules if isinstance(r, MaxShare))
    cal = load_calendar()
    base = Decimal("5000000.00")
    assert rule.check(trade_for("works_open_tender", estimated_price=base, bid_security=Decimal("100000.00")),
                      cal) is None
    assert rule.check(trade_for("works_open_tender", estimated_price=base, bid_security=Decimal("100000.01")),
                      cal) is not None


def test_missing_milestones_reported_as_required(db):
    rs = registry.get("works_open_tender")
    problems = rs.check(trade_for("works_open_tender"), load_calendar())
    assert {(v.field, v.code) for v in problems} == {(m, "required") for m in rs.milestones}


# --- through the service: create_trade refuses a bad timeline and leaves nothing -------------------

def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_trade_refuses_short_deadline(db, users, centres):
    data = {
        "centre_id": centres["WORKS"].id, "method": "works_open_tender",
        "tenderer_id": users["tenderer"].organisation_id, "title": "Too fast", "description": "",
        "estimated_price": Decimal("5000000.00"), "bid_security": Decimal("100000.00"),
        "issue_at": START, "docs_until": START + timedelta(days=7),
        "bid_deadline": START + timedelta(days=19), "opening_at": START + timedelta(days=19),
    }
    with pytest.raises(InvalidInput) as exc:
        services.create_trade(users["staff"], data)
    assert exc.value.field == "bid_deadline"
    assert list(exc.value.errors) == ["bid_deadline"]
    assert any(cites(m, "招标投标法 第24条") for m in exc.value.errors["bid_deadline"])
    db.session.rollback()
    assert _count(db, Trade) == 0 and _count(db, TradeTransition) == 0


def test_create_trade_reports_every_broken_rule(db, users, centres):
    data = {
        "centre_id": centres["WORKS"].id, "method": "works_open_tender",
        "tenderer_id": users["tenderer"].organisation_id, "title": "All wrong",
        "estimated_price": Decimal("5000000.00"), "bid_security": Decimal("100000.01"),
        "issue_at": START, "docs_until": START + timedelta(days=4),
        "bid_deadline": START + timedelta(days=25), "opening_at": START + timedelta(days=25, minutes=1),
    }
    with pytest.raises(InvalidInput) as exc:
        services.create_trade(users["staff"], data)
    errors = exc.value.errors
    assert set(errors) == {"docs_until", "opening_at", "bid_security"}
    assert any(cites(m, "招标投标法实施条例 第16条") for m in errors["docs_until"])
    assert any(cites(m, "招标投标法 第34条") for m in errors["opening_at"])
    assert any(cites(m, "招标投标法实施条例 第26条") for m in errors["bid_security"])
    db.session.rollback()
    assert _count(db, Trade) == 0


def test_create_trade_accepts_the_boundary_and_defaults_opening(db, users, centres):
    issue = START
    trade = services.create_trade(users["staff"], {
        "centre_id": centres["WORKS"].id, "method": "works_open_tender",
        "tenderer_id": users["tenderer"].organisation_id, "title": "Just in time",
        "estimated_price": Decimal("5000000.00"), "bid_security": Decimal("100000.00"),
        "issue_at": issue, "docs_until": local_midnight(date(2026, 3, 9)),  # day 5 is Saturday → Monday 9
        "bid_deadline": local_midnight(date(2026, 3, 23)),
    })
    db.session.commit()
    assert trade.opening_at == trade.bid_deadline
    assert _count(db, Trade) == 1


def test_create_sandbox_trade_uses_accelerated_rules(db, users, centres):
    base = {
        "centre_id": centres["WORKS"].id, "method": "works_open_tender",
        "tenderer_id": users["tenderer"].organisation_id, "title": "Training",
        "estimated_price": Decimal("5000000.00"), "sandbox": True, "accelerator": 10,
        "issue_at": START, "docs_until": START + timedelta(days=1),
    }
    edge = START + timedelta(hours=50, minutes=24)
    with pytest.raises(InvalidInput) as exc:
        services.create_trade(users["staff"], {**base, "bid_deadline": edge - timedelta(seconds=1)})
    assert "bid_deadline" in exc.value.errors
    db.session.rollback()
    trade = services.create_trade(users["staff"], {**base, "bid_deadline": edge})
    db.session.commit()
    assert trade.sandbox and trade.accelerator == 10


def test_update_trade_refuses_bad_timeline(db, make_trade, users):
    trade = make_trade(**tender_timeline(START))
    with pytest.raises(InvalidInput) as exc:
        services.update_trade(users["staff"], trade, {"bid_deadline": START + timedelta(days=10)})
    assert "bid_deadline" in exc.value.errors
    db.session.rollback()
    db.session.refresh(trade)
    assert trade.bid_deadline == START + timedelta(days=25)
