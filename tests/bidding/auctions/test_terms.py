"""The disclosed terms: fixed by the notice, changed only by an amendment that restarts the disclosure period
(published as a clarification that says so), and the increment the staff may change during the listing."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from bidding.auctions import services as auctions
from bidding.auctions.models import IncrementChange
from tests.bidding.auctions.conftest import INCREMENT, ISSUE, LISTING_CLOSE, LISTING_FROM, STARTING_PRICE
from tests.conftest import CST, START
from trading.errors import IllegalMove, InvalidInput
from trading.notices.models import Clarification, Notice, NoticeKind
from trading.rules.days import local_date
from trading.signals import trade_edited
from trading.trades import services as trades
from trading.trades.flows import TradeState
from trading.trades.lifecycle import check_timeline


def test_the_notice_fixes_the_terms(db, land_sale, land):
    terms = auctions.terms_of(land_sale)
    assert terms.disclosed_at == START and terms.amendments == 0
    with pytest.raises(IllegalMove) as exc:
        auctions.set_terms(land["staff"], land_sale, INCREMENT * 2)
    assert exc.value.code == "terms_disclosed"
    assert auctions.terms_of(land_sale).increment == INCREMENT


def test_an_amendment_restarts_the_announcement_and_the_listing_and_says_so(db, land_sale, land, clock):
    # Sunday 8 March: 20 days later is Saturday 28 March, a rest day, so the announcement ends on Monday
    # 30 March (民法典 203); the listing's 10 days then end on Thursday 9 April
    amended_at = ISSUE + timedelta(days=5)
    clock.freeze(amended_at)
    edits = []
    with trade_edited.connected_to(lambda sender, **kw: edits.append(kw["changes"])):
        clar = auctions.amend(land["staff"], land_sale, {"increment": "200000.00", "estimated_price": "12000000.00"},
                              "变更公告", "起始价与加价幅度调整。")
    db.session.commit()
    assert local_date(land_sale.listing_from) == date(2026, 3, 30)
    assert local_date(land_sale.bid_deadline) == date(2026, 4, 9)
    assert land_sale.listing_from.astimezone(CST).time() == LISTING_FROM.time() and land_sale.issue_at == ISSUE
    terms = auctions.terms_of(land_sale)
    assert (terms.increment, land_sale.estimated_price) == (Decimal("200000.00"), Decimal("12000000.00"))
    assert terms.amendments == 1 and terms.disclosed_at == amended_at
    assert set(edits[0]) == {"increment", "estimated_price", "listing_from", "bid_deadline"}
    # the rule set's periods hold from the amendment, and a day less would not
    land_sale.issue_at = amended_at
    check_timeline(land_sale)
    land_sale.listing_from -= timedelta(days=1)
    with pytest.raises(InvalidInput):
        check_timeline(land_sale)
    db.session.rollback()
    # the clarification says the period restarted, in the platform's language and in the reader's
    assert clar.old_deadline == LISTING_CLOSE and clar.new_deadline == land_sale.bid_deadline
    assert "重新计算" in clar.body and "起始价与加价幅度调整" in clar.body
    notice = db.session.scalar(sa.select(Notice).where(Notice.trade_id == land_sale.id,
                                                       Notice.kind == NoticeKind.CLARIFICATION))
    with force_locale("en"):
        assert "disclosure period restarts" in notice.shown_body and "Increment" in notice.shown_body
    with force_locale("zh_CN"):
        assert "重新计算" in notice.shown_body


def test_an_amendment_that_fits_the_periods_moves_nothing(db, land_sale, land, clock):
    clock.freeze(ISSUE - timedelta(days=1))  # before the documents were issued: the periods already hold
    auctions.amend(land["staff"], land_sale, {"bid_security": "1500000.00"}, "保证金调整", "")
    assert (land_sale.listing_from, land_sale.bid_deadline) == (LISTING_FROM, LISTING_CLOSE)
    assert land_sale.bid_security == Decimal("1500000.00")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Clarification)) == 1


def test_amendments_need_a_change_and_a_title(db, land_sale, land, clock):
    clock.freeze(ISSUE)
    with pytest.raises(InvalidInput) as exc:
        auctions.amend(land["staff"], land_sale, {"increment": str(INCREMENT)}, "变更", "")
    assert "changes" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        auctions.amend(land["staff"], land_sale, {"increment": "-1", "estimated_price": "x"}, " ", "")
    assert set(exc.value.errors) == {"increment", "estimated_price", "title"}
    assert auctions.terms_of(land_sale).amendments == 0


def test_no_amendment_once_the_land_listing_runs(db, listing, land):
    trade, _regs = listing
    with pytest.raises(IllegalMove) as exc:
        auctions.amend(land["staff"], trade, {"increment": "1.00"}, "变更", "")
    assert exc.value.code == "listing_started"


def test_only_the_centres_staff_amend(db, land_sale, land, clock):
    clock.freeze(ISSUE)
    from trading.errors import NotAllowed

    for who in ("decider", "supervisor", "buyer1", "seller"):
        with pytest.raises(NotAllowed):
            auctions.amend(land[who], land_sale, {"increment": "1.00"}, "变更", "")


@pytest.fixture
def prop(db, make_user, make_trade, centres, users, clock):
    """A property transfer (O32: disclosure of 20 working days up to the deadline, quotes from the notice)."""
    from trading.accounts.roles import Role

    staff = make_user("prop_staff", (Role.CENTRE_STAFF, "PROP"))
    decider = make_user("prop_decider", (Role.DECISION_MAKER, "PROP"))
    clock.freeze(START)
    trade = make_trade(staff, centre_id=centres["PROP"].id, method="property_listing", title="城投公司 40% 股权",
                       estimated_price=Decimal("8000000.00"), bid_security=Decimal("800000.00"), issue_at=ISSUE,
                       docs_until=None, listing_from=None, bid_deadline=ISSUE + timedelta(days=35), opening_at=None)
    auctions.set_terms(staff, trade, Decimal("50000.00"), appraised_value=Decimal("8000000.00"))
    trades.move(trade, "submit", staff)
    trades.move(trade, "approve", decider)
    trades.move(trade, "publish", staff)
    db.session.commit()
    return trade, staff


def test_a_property_amendment_restarts_twenty_working_days(db, prop, clock):
    trade, staff = prop
    clock.freeze(ISSUE + timedelta(days=10))  # Friday 13 March; the transfer is already listing
    trades.advance_due()
    assert trade.state is TradeState.LISTING
    # the reserve follows the corrected appraisal: it may not be below it (O32 Art 17, property.reserve_floor)
    auctions.amend(staff, trade, {"appraised_value": "8500000.00", "estimated_price": "8500000.00"}, "评估值更正",
                   "评估报告更正。")
    # 20 working days after Friday 13 March (no holidays in the test calendar): Friday 10 April
    assert local_date(trade.bid_deadline) == date(2026, 4, 10)
    assert auctions.terms_of(trade).appraised_value == Decimal("8500000.00")


def test_the_increment_changes_during_the_listing_with_a_reason(db, listing, land, clock):
    trade, _regs = listing
    first = auctions.quote(land["buyer1"], trade, STARTING_PRICE)
    assert first.seq == 1
    with pytest.raises(InvalidInput) as exc:
        auctions.change_increment(land["staff"], trade, "50000.00", "  ")
    assert set(exc.value.errors) == {"reason"}
    change = auctions.change_increment(land["staff"], trade, "50000.00", "竞买人较多，调小幅度")
    db.session.commit()
    assert (change.old_increment, change.new_increment, change.actor_id) == (INCREMENT, Decimal("50000.00"),
                                                                             land["staff"].id)
    assert auctions.minimum_quote(trade) == STARTING_PRICE + Decimal("50000.00")
    second = auctions.quote(land["buyer2"], trade, STARTING_PRICE + Decimal("50000.00"))
    assert second.seq == 2
    assert [c.reason for c in auctions.increment_changes(trade)] == ["竞买人较多，调小幅度"]
    # logged: the row is a public audit entry
    from monitor.audit.models import AuditEntry

    entries = [e for e in db.session.scalars(sa.select(AuditEntry)) if "auction_increment_changes" in e.body]
    assert [e.audience for e in entries] == ["public"], "the increment change is a public audit entry"


def test_the_increment_changes_this_way_only_during_the_listing(db, land_sale, land, clock):
    clock.freeze(ISSUE)
    with pytest.raises(IllegalMove) as exc:
        auctions.change_increment(land["staff"], land_sale, "50000.00", "理由")
    assert exc.value.code == "not_listing"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IncrementChange)) == 0


def test_an_amendment_tells_each_applicant_once_in_their_language(db, land_sale, land, clock):
    from trading.notices.models import Notification

    clock.freeze(ISSUE + timedelta(days=1))
    auctions.register(land["buyer1"], land_sale)
    withdrawn = auctions.register(land["buyer2"], land_sale)
    auctions.withdraw(land["buyer2"], withdrawn)
    clar = auctions.amend(land["staff"], land_sale, {"increment": "120000.00"}, "变更公告", "")
    told = db.session.scalars(sa.select(Notification).where(Notification.trade_id == land_sale.id)).all()
    assert [n.user_id for n in told] == [land["buyer1"].id] and clar.notified == 1
    with force_locale("en"):
        subject, body = told[0].shown()
        assert subject.startswith("Clarification 1 to") and "disclosure period restarts" in body
    with force_locale("zh_CN"):
        assert "重新计算" in told[0].shown()[1]


def test_an_auction_amendment_carries_its_live_round_with_the_deadline(db, make_trade, land, centres, clock):
    """A land auction (拍卖) has no listing phase: its 20 days run to the deadline, and the live round that
    follows the deadline moves with it."""
    clock.freeze(START)
    deadline = ISSUE + timedelta(days=25)  # Saturday 28 March
    trade = make_trade(land["staff"], centre_id=centres["LAND"].id, method="land_auction", title="Plot E-02",
                       estimated_price=STARTING_PRICE, bid_security=Decimal("1000000.00"), issue_at=ISSUE,
                       docs_until=None, listing_from=None, bid_deadline=deadline, opening_at=None)
    auctions.set_terms(land["staff"], trade, INCREMENT, round_at=deadline + timedelta(days=1))
    for move, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, move, land[who])
    clock.freeze(ISSUE + timedelta(days=10))  # Friday 13 March: 20 days on is Thursday 2 April
    auctions.amend(land["staff"], trade, {"estimated_price": "11000000.00"}, "变更公告", "")
    assert local_date(trade.bid_deadline) == date(2026, 4, 2)
    assert auctions.terms_of(trade).round_at == trade.bid_deadline + timedelta(days=1)


def test_a_sandbox_sale_restarts_its_periods_accelerated(db, land_sale):
    """A sandbox trade runs its legal periods divided by its accelerator (ARCHITECTURE.md), so does the restart."""
    land_sale.sandbox, land_sale.accelerator = True, 100
    at = LISTING_FROM - timedelta(hours=1)  # Monday 23 March 08:00: 20 days end Sunday 12 April, so Monday 13
    moved = auctions.restarted_timeline(land_sale, at)
    assert moved == {"listing_from": at + timedelta(days=21) / 100}  # the listing's own 10 days still fit
    db.session.rollback()


def test_no_amendment_once_quotes_were_made_on_the_terms(db, prop, land, clock):
    trade, staff = prop
    clock.freeze(ISSUE + timedelta(days=1))
    trades.advance_due()
    reg = auctions.register(land["buyer1"], trade)
    auctions.confirm_and_qualify(staff, reg, "ICBC-9", "6222 9")
    assert auctions.quote(land["buyer1"], trade, Decimal("8000000.00")).seq == 1
    with pytest.raises(IllegalMove) as exc:
        auctions.amend(staff, trade, {"appraised_value": "9000000.00"}, "评估值更正", "")
    assert exc.value.code == "quotes_made"
    assert auctions.terms_of(trade).amendments == 0


def test_the_deposit_cannot_rise_once_deposits_were_confirmed(db, land_sale, land, clock):
    from tests.bidding.auctions.conftest import DEPOSIT, qualify_buyer

    clock.freeze(ISSUE)
    qualify_buyer(land, land_sale, "buyer1")
    with pytest.raises(IllegalMove) as exc:
        auctions.amend(land["staff"], land_sale, {"bid_security": str(DEPOSIT + 1)}, "保证金调整", "")
    assert exc.value.code == "deposits_confirmed" and land_sale.bid_security == DEPOSIT
    db.session.rollback()
    auctions.amend(land["staff"], land_sale, {"bid_security": str(DEPOSIT - 1)}, "保证金调整", "")  # lower: fine
    assert land_sale.bid_security == DEPOSIT - 1
