"""O32 Art 13 at its working-day boundaries: the formal disclosure ≥ 20 working days, and a transfer that
changes control pre-disclosed ≥ 20 working days before it; a holiday inside a period moves its end."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bidding.auctions.property import services as prop_services
from tests.bidding.auctions.conftest import ISSUE, PROP_CLOSE
from tests.conftest import CST, START
from trading.errors import IllegalMove, InvalidInput
from trading.notices.models import NoticeKind
from trading.rules.days import CalendarDay, DayKind
from trading.trades import services as trades
from trading.trades.flows import TradeState


def _holiday(db, day: date) -> None:
    db.session.add(CalendarDay(day=day, kind=DayKind.HOLIDAY, name="test holiday"))
    db.session.commit()


def test_the_disclosure_ends_on_its_20th_working_day_at_the_earliest(db, make_property_sale, clock):
    trade = make_property_sale(bid_deadline=PROP_CLOSE)  # Tue 31 March, the 20th working day: accepted
    assert trade.state in (TradeState.ANNOUNCED, TradeState.LISTING)
    with pytest.raises(InvalidInput) as exc:
        make_property_sale(bid_deadline=PROP_CLOSE - timedelta(days=1), title="one day short")
    assert "bid_deadline" in exc.value.errors and "32" in exc.value.errors["bid_deadline"][0]


def test_a_holiday_inside_the_disclosure_moves_its_end_by_a_working_day(db, make_property_sale, clock):
    _holiday(db, date(2026, 3, 18))
    with pytest.raises(InvalidInput) as exc:
        make_property_sale(bid_deadline=PROP_CLOSE)  # no longer the 20th working day
    assert "bid_deadline" in exc.value.errors
    trade = make_property_sale(bid_deadline=PROP_CLOSE + timedelta(days=1), title="Wed 1 April")
    assert trade.published_at is not None


def _control_change_draft(make_property_sale, issue_at: datetime):
    return make_property_sale(publish=False, control_change=True, issue_at=issue_at,
                              bid_deadline=issue_at + timedelta(days=42))


def test_a_control_change_needs_its_pre_disclosure_before_submission(db, make_property_sale, prop, clock):
    clock.freeze(START)
    trade = _control_change_draft(make_property_sale, datetime(2026, 4, 1, 9, 0, tzinfo=CST))
    with pytest.raises(InvalidInput) as exc:
        trades.move(trade, "submit", prop["staff"])
    message = exc.value.errors["issue_at"][0]
    assert "20" in message and "32" in message
    db.session.rollback()
    assert trade.state is TradeState.DRAFT


def test_the_formal_disclosure_starts_20_working_days_after_the_pre_disclosure_across_a_holiday(
        db, make_property_sale, prop, clock):
    """Pre-disclosed Mon 2 March: the 20th working day is Mon 30 March, Tue 31 March with a holiday on the 18th."""
    clock.freeze(START)
    _holiday(db, date(2026, 3, 18))
    trade = _control_change_draft(make_property_sale, datetime(2026, 3, 30, 9, 0, tzinfo=CST))
    pre = prop_services.pre_disclose(prop["staff"], trade)
    db.session.commit()
    assert pre.notice.kind is NoticeKind.PRE_DISCLOSURE and pre.published_at == START
    assert prop_services.period_end(trade, pre.published_at, "pre_disclosure") == date(2026, 3, 31)
    with pytest.raises(InvalidInput) as exc:
        trades.move(trade, "submit", prop["staff"])
    assert "2026-03-31" in exc.value.errors["issue_at"][0]
    db.session.rollback()
    trades.update_trade(prop["staff"], trade, {"issue_at": datetime(2026, 3, 31, 9, 0, tzinfo=CST)})
    trades.move(trade, "submit", prop["staff"])
    trades.move(trade, "approve", prop["decider"])
    trades.move(trade, "publish", prop["staff"])
    db.session.commit()
    assert trade.state is TradeState.ANNOUNCED and trade.issue_at == datetime(2026, 3, 31, 9, 0, tzinfo=CST)


def test_publishing_late_still_counts_from_the_pre_disclosure(db, make_property_sale, prop, clock):
    """Publishing moves the formal disclosure to now when its planned start has passed; the rule re-checks."""
    clock.freeze(START)
    trade = _control_change_draft(make_property_sale, datetime(2026, 3, 30, 9, 0, tzinfo=CST))
    prop_services.pre_disclose(prop["staff"], trade)
    trades.move(trade, "submit", prop["staff"])
    trades.move(trade, "approve", prop["decider"])
    db.session.commit()
    clock.freeze(datetime(2026, 4, 2, 9, 0, tzinfo=CST))  # late: issued now, the deadline still 20 wd later
    trades.move(trade, "publish", prop["staff"])
    assert trade.issue_at == datetime(2026, 4, 2, 9, 0, tzinfo=CST)


def test_the_pre_disclosure_is_only_for_a_control_change_and_only_once_before_the_disclosure(
        db, make_property_sale, property_sale, prop, clock):
    with pytest.raises(IllegalMove) as exc:
        prop_services.pre_disclose(prop["staff"], property_sale)
    assert exc.value.code == "no_control_change"
    trade = _control_change_draft(make_property_sale, datetime(2026, 4, 1, 9, 0, tzinfo=CST))
    prop_services.pre_disclose(prop["staff"], trade)
    with pytest.raises(IllegalMove) as exc:
        prop_services.pre_disclose(prop["staff"], trade)
    assert exc.value.code == "pre_disclosed"


def test_the_property_rule_set_lists_its_rules_with_their_sources(client):
    body = client.get("/api/v1/rulesets").get_json()
    rules = {r["code"]: r for rs in body for r in rs["rules"] if rs["key"] == "property_listing"}
    assert {"property.disclosure", "property.pre_disclosure", "property.reserve_floor",
            "property.redisclosure"} <= set(rules)
    assert "32" in rules["property.pre_disclosure"]["source"]["zh"]
    assert ISSUE < PROP_CLOSE


def test_the_pre_disclosure_is_public_before_the_trade(db, client, make_property_sale, prop, clock):
    clock.freeze(START)
    trade = _control_change_draft(make_property_sale, datetime(2026, 4, 1, 9, 0, tzinfo=CST))
    assert client.get("/api/v1/notices?kind=pre_disclosure").get_json()["items"] == []
    pre = prop_services.pre_disclose(prop["staff"], trade)
    db.session.commit()
    assert trade.published_at is None
    items = client.get("/api/v1/notices?kind=pre_disclosure").get_json()["items"]
    assert [i["id"] for i in items] == [pre.notice_id]
    assert client.get("/api/v1/notices?kind=announcement").get_json()["items"] == []  # the draft stays unseen
    page = client.get("/bidding/property/pre-disclosures")
    assert page.status_code == 200 and "70% of Harbour Hotel Co." in page.get_data(as_text=True)
