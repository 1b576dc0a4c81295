"""Clarifications (Law 23, Reg 21, O87 27, O20 22): a late one moves the deadline; every downloader is told."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import CST, START, tender_timeline
from trading.accounts.roles import Role
from trading.errors import InvalidInput, NotAllowed
from trading.notices import services as notices, subscriptions
from trading.notices.models import Clarification, Document, Notice, NoticeKind, Notification
from trading.rules.days import CalendarDay, DayKind
from trading.signals import clarification_published
from trading.trades import services
from trading.trades.flows import TradeState

DEADLINE = START + timedelta(days=25)  # Friday 27 March 2026, 09:00 Beijing


def local(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=CST)


def publish(db, trade, users, staff="staff", decider="decider"):
    doc = notices.upload_document(users[staff], trade, "tender.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 doc"))
    services.move(trade, "submit", users[staff])
    services.move(trade, "approve", users[decider])
    services.move(trade, "publish", users[staff])
    db.session.commit()
    return trade, doc


@pytest.fixture
def bidding(db, make_trade, users, clock):
    trade, _doc = publish(db, make_trade(**tender_timeline(START)), users)
    assert trade.state is TradeState.BIDDING and trade.bid_deadline == DEADLINE
    return trade


def clarify(db, trade, users, title="Bill of quantities", body="Item 3 corrected."):
    clar = notices.publish_clarification(users["staff"], trade, title, body)
    db.session.commit()
    return clar


def holidays(db, *days, kind=DayKind.HOLIDAY):
    db.session.add_all(CalendarDay(day=d, kind=kind, name="test") for d in days)
    db.session.commit()


def test_lead_is_fifteen_days_for_works_open_tender(db, bidding):
    limit = bidding.rule_set.limit("clarification_lead")
    assert (limit.value, limit.unit.value) == (15, "days")


# --- the deadline -----------------------------------------------------------------------------------

@pytest.mark.parametrize("when", [START, local(2026, 3, 12, 9), local(2026, 3, 12, 23, 59, 59)])
def test_early_enough_leaves_deadline_alone(db, bidding, users, clock, when):
    clock.freeze(when)
    with clarification_published.connected_to(lambda s, **kw: seen.append(kw)):
        seen = []
        clar = clarify(db, bidding, users)
    assert bidding.bid_deadline == DEADLINE and bidding.opening_at == DEADLINE
    assert clar.old_deadline is None and clar.new_deadline is None
    assert seen[0]["moved_deadline"] is None
    assert clar.number == 1 and clar.published_at == when


def test_late_clarification_moves_deadline_over_the_weekend(db, bidding, users, clock):
    """13 March + 15 days = Saturday 28 → Monday 30 March, at the deadline's own time of day."""
    clock.freeze(local(2026, 3, 13, 0, 0))
    with clarification_published.connected_to(lambda s, **kw: seen.append(kw)):
        seen = []
        clar = clarify(db, bidding, users)
    expected = local(2026, 3, 30, 9, 0)
    assert bidding.bid_deadline == expected
    assert bidding.opening_at == expected  # the opening stays at the deadline (Law 34)
    assert (clar.old_deadline, clar.new_deadline) == (DEADLINE, expected)
    assert seen[0]["moved_deadline"] == (DEADLINE, expected)
    assert bidding.docs_until == START + timedelta(days=10)  # unaffected: still before the deadline
    db.session.expire_all()
    assert bidding.bid_deadline == expected  # committed


def test_late_clarification_moves_deadline_past_holidays(db, bidding, users, clock):
    holidays(db, date(2026, 3, 30), date(2026, 3, 31))
    clock.freeze(local(2026, 3, 13, 15, 0))
    clarify(db, bidding, users)
    assert bidding.bid_deadline == local(2026, 4, 1, 9, 0)
    assert bidding.opening_at == bidding.bid_deadline


def test_late_clarification_ending_on_makeup_workday(db, bidding, users, clock):
    holidays(db, date(2026, 3, 28), kind=DayKind.WORKDAY)
    clock.freeze(local(2026, 3, 13, 10, 0))
    clarify(db, bidding, users)
    assert bidding.bid_deadline == local(2026, 3, 28, 9, 0)


def test_late_clarification_ending_on_a_weekday(db, bidding, users, clock):
    clock.freeze(local(2026, 3, 16, 11, 0))  # Monday + 15 = Tuesday 31 March
    clarify(db, bidding, users)
    assert bidding.bid_deadline == local(2026, 3, 31, 9, 0)


def test_deadline_keeps_its_time_of_day(db, make_trade, users, clock):
    deadline = local(2026, 3, 27, 14, 30)
    trade, _doc = publish(db, make_trade(issue_at=START, docs_until=START + timedelta(days=10),
                                         bid_deadline=deadline, opening_at=deadline), users)
    clock.freeze(local(2026, 3, 20, 8, 0))  # Friday + 15 = Saturday 4 April → Monday 6 April
    clarify(db, trade, users)
    assert trade.bid_deadline == local(2026, 4, 6, 14, 30)
    assert trade.bid_deadline.astimezone(CST).time() == time(14, 30)


def test_second_late_clarification_moves_again(db, bidding, users, clock):
    clock.freeze(local(2026, 3, 13, 10))
    clarify(db, bidding, users)
    clock.freeze(local(2026, 3, 17, 10))  # Tuesday + 15 = Wednesday 1 April
    clar = clarify(db, bidding, users, title="Second")
    assert clar.number == 2
    assert (clar.old_deadline, clar.new_deadline) == (local(2026, 3, 30, 9), local(2026, 4, 1, 9))
    assert bidding.bid_deadline == local(2026, 4, 1, 9)


def test_moved_deadline_is_what_the_clock_closes_on(db, bidding, users, clock):
    clock.freeze(local(2026, 3, 13, 10))
    clarify(db, bidding, users)
    clock.freeze(DEADLINE)
    assert services.advance_due() == {}
    assert bidding.state is TradeState.BIDDING
    clock.freeze(local(2026, 3, 30, 9))
    assert services.advance_due() == {bidding.ref: ["close"]}


def test_required_deadline_answers_without_changing_the_trade(db, bidding):
    assert notices.required_deadline(bidding, local(2026, 3, 13, 10)) == local(2026, 3, 30, 9)
    assert notices.required_deadline(bidding, local(2026, 3, 12, 10)) is None
    assert bidding.bid_deadline == DEADLINE


def test_clarification_publishes_a_notice(db, bidding, users, clock):
    clarify(db, bidding, users, title="Drawings", body="Sheet 4 replaced.")
    rows = db.session.scalars(sa.select(Notice).where(Notice.trade_id == bidding.id,
                                                      Notice.kind == NoticeKind.CLARIFICATION)).all()
    assert [(n.title, n.body) for n in rows] == [("Drawings", "Sheet 4 replaced.")]


def test_clarification_needs_title_body_and_staff(db, bidding, users):
    with pytest.raises(InvalidInput) as exc:
        notices.publish_clarification(users["staff"], bidding, " ", "")
    assert set(exc.value.errors) == {"title", "body"}
    with pytest.raises(NotAllowed):
        notices.publish_clarification(users["decider"], bidding, "t", "b")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Clarification)) == 0


# --- sandbox: the lead divided by the accelerator ---------------------------------------------------

@pytest.fixture
def sandbox(db, make_trade, users, clock):
    deadline = START + timedelta(days=3)
    trade, _doc = publish(db, make_trade(sandbox=True, accelerator=10, issue_at=START,
                                         docs_until=START + timedelta(days=1), bid_deadline=deadline,
                                         opening_at=deadline), users)
    assert trade.state is TradeState.BIDDING
    return trade


def test_sandbox_lead_divided_by_accelerator(db, sandbox, users, clock):
    """From 3 March, 15 days end on Wednesday 18: 15 days ÷ 10 = 36 hours before the deadline."""
    deadline = sandbox.bid_deadline
    clock.freeze(deadline - timedelta(hours=36))
    clarify(db, sandbox, users)
    assert sandbox.bid_deadline == deadline
    clock.advance(timedelta(seconds=1))
    clar = clarify(db, sandbox, users, title="Late")
    assert sandbox.bid_deadline == deadline + timedelta(seconds=1)
    assert sandbox.opening_at == sandbox.bid_deadline
    assert clar.old_deadline == deadline


def test_sandbox_lead_includes_weekend_extension(db, sandbox, users, clock):
    """Friday 13 March + 15 days = Saturday 28 → Monday 30: 17 days, ÷ 10 (asked directly of the formula)."""
    published = local(2026, 3, 13, 10)
    assert notices.required_deadline(sandbox, published) == published + timedelta(days=17) / 10


# --- every downloader told exactly once -------------------------------------------------------------

def test_every_downloader_gets_exactly_one_notification(db, bidding, users, make_user, make_trade, clock):
    doc = db.session.scalar(sa.select(Document).where(Document.trade_id == bidding.id))
    colleague = make_user("colleague", (Role.BIDDER, None), org=users["bidder"].organisation)
    notices.record_download(bidding, doc, users["bidder"])
    notices.record_download(bidding, doc, users["bidder"])  # twice: still one downloader
    notices.record_download(bidding, doc, colleague)
    def left_address(user, email):
        """A download with an address left, confirmed through the mailed link (as its owner would)."""
        download = notices.record_download(bidding, doc, user)
        sub = subscriptions.request_subscription(bidding, subscriptions.normalise(email), download)
        subscriptions.confirm(subscriptions.token_for(sub))

    left_address(None, "Buyer@Example.invalid")
    left_address(None, "buyer@example.invalid")  # same address
    left_address(None, "other@example.invalid")
    notices.record_download(bidding, doc, None)  # anonymous, no address: cannot be told
    left_address(users["public"], "public-alias@example.invalid")
    # an address that never confirmed is told nothing
    subscriptions.request_subscription(bidding, "unconfirmed@example.invalid", notices.record_download(bidding, doc))
    db.session.commit()
    # someone who took another trade's documents is not told about this one
    other, other_doc = publish(db, make_trade(**tender_timeline(START), title="Other"), users)
    notices.record_download(other, other_doc, users["expert"])
    db.session.commit()

    clar = clarify(db, bidding, users)

    rows = db.session.scalars(sa.select(Notification).where(Notification.kind == "clarification")).all()
    by_user = sorted(r.user_id for r in rows if r.user_id)
    by_email = sorted(r.email for r in rows if r.email)
    assert by_user == sorted([users["bidder"].id, colleague.id, users["public"].id])
    assert by_email == ["buyer@example.invalid", "other@example.invalid"]
    assert all(r.trade_id == bidding.id and bidding.ref in r.subject for r in rows)
    assert all(not (r.user_id and r.email) for r in rows)
    assert clar.notified == len(rows) == 5

    clock.freeze(local(2026, 3, 13, 10))  # a second, late clarification: each is told again, once
    clarify(db, bidding, users, title="Second")
    rows = db.session.scalars(sa.select(Notification).where(Notification.kind == "clarification")).all()
    assert len(rows) == 10
    second = [r for r in rows if "Second" in r.subject]
    assert len(second) == 5
    assert all("2026-03-30 09:00" in r.body for r in second)  # the move is announced in local time


def test_no_downloaders_no_notifications(db, bidding, users):
    clar = clarify(db, bidding, users)
    assert clar.notified == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
