"""The transfer reserve (O32 Art 17-18): the first not below the appraisal (exactly / one fen below), a cut
after a disclosure without a transferee disclosed again ≥ 20 working days, below 90% of the appraisal only
with the decision branch's recorded written consent; every change an audit entry with old and new price."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bidding.auctions.property import services as prop_services
from tests.bidding.auctions.conftest import APPRAISED, PROP_CLOSE
from tests.conftest import CST, START
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.notices.models import Notice, NoticeKind
from trading.trades import services as trades

FEN = Decimal("0.01")
NINETY = Decimal("9000000.00")
#: 20 working days after Tue 31 March (no holiday in the calendar): Tue 28 April
REDISCLOSED_UNTIL = datetime(2026, 4, 28, 9, 0, tzinfo=CST)


def test_the_first_reserve_may_equal_the_appraisal_but_not_be_a_fen_below(db, make_property_sale, prop, clock):
    clock.freeze(START)
    at = make_property_sale(estimated_price=APPRAISED)
    assert at.published_at is not None
    with pytest.raises(InvalidInput) as exc:
        make_property_sale(estimated_price=APPRAISED - FEN, title="a fen below")
    assert "17" in exc.value.errors["estimated_price"][0]


def test_the_appraisal_is_required_before_submission(db, make_property_sale, prop, clock):
    trade = make_property_sale(publish=False, appraised=None)
    with pytest.raises(InvalidInput) as exc:
        trades.move(trade, "submit", prop["staff"])
    assert "appraised_value" in exc.value.errors


def test_a_draft_reserve_change_keeps_the_floor_and_is_logged(db, make_property_sale, prop, clock):
    trade = make_property_sale(publish=False, estimated_price=APPRAISED + 500)
    with pytest.raises(InvalidInput) as exc:
        prop_services.change_reserve(prop["staff"], trade, APPRAISED - FEN, "a fen below")
    assert "price" in exc.value.errors
    change = prop_services.change_reserve(prop["staff"], trade, APPRAISED, "appraisal confirmed")
    db.session.commit()
    assert (change.old_price, change.new_price, trade.estimated_price) == (APPRAISED + 500, APPRAISED, APPRAISED)
    assert change.new_deadline is None and change.notice_id is None


def _after_disclosure(clock, trade):
    clock.freeze(PROP_CLOSE)
    trades.advance_due()
    return trade


def test_the_reserve_may_not_change_while_the_disclosure_runs(db, property_sale, prop, clock):
    clock.freeze(PROP_CLOSE - timedelta(seconds=1))
    with pytest.raises(IllegalMove) as exc:
        prop_services.change_reserve(prop["staff"], property_sale, NINETY, "no buyer", REDISCLOSED_UNTIL)
    assert exc.value.code == "disclosure_running"


def test_a_cut_is_disclosed_again_for_20_working_days_from_the_change(db, property_sale, prop, clock):
    trade = _after_disclosure(clock, property_sale)
    with pytest.raises(InvalidInput) as exc:
        prop_services.change_reserve(prop["staff"], trade, NINETY, "no buyer", REDISCLOSED_UNTIL - timedelta(days=1))
    assert "2026-04-28" in exc.value.errors["bid_deadline"][0] and "18" in exc.value.errors["bid_deadline"][0]
    with pytest.raises(IllegalMove) as exc:
        prop_services.change_reserve(prop["staff"], trade, APPRAISED + 1, "higher", REDISCLOSED_UNTIL)
    assert exc.value.code == "not_lower"
    change = prop_services.change_reserve(prop["staff"], trade, NINETY, "no buyer at the appraisal", REDISCLOSED_UNTIL)
    db.session.commit()
    assert trade.estimated_price == NINETY and trade.bid_deadline == REDISCLOSED_UNTIL
    assert (change.old_deadline, change.new_deadline) == (PROP_CLOSE, REDISCLOSED_UNTIL)
    notice = db.session.get(Notice, change.notice_id)
    assert notice.kind is NoticeKind.REDISCLOSURE and notice.published_at == PROP_CLOSE
    assert "9,000,000.00" in notice.body
    # the rule set agrees: the reserve below the appraisal came from a recorded, re-disclosed cut
    assert trade.rule_set.check(trade, prop_services.load_calendar()) == []


def test_ninety_percent_exactly_needs_no_consent_a_fen_below_does(db, property_sale, prop, clock):
    trade = _after_disclosure(clock, property_sale)
    with pytest.raises(InvalidInput) as exc:
        prop_services.change_reserve(prop["staff"], trade, NINETY - FEN, "deeper", REDISCLOSED_UNTIL)
    message = exc.value.errors["price"][0]
    assert "90" in message and "18" in message and "9,000,000.00" in message
    assert prop_services.changes_of(trade) == []
    change = prop_services.change_reserve(prop["staff"], trade, NINETY, "to ninety percent", REDISCLOSED_UNTIL)
    assert change.consent_id is None


def _consent(prop, trade, lowest: Decimal):
    return prop_services.record_consent(prop["decider"], trade, lowest, "approved by the SASAC board",
                                        "consent.pdf", "application/pdf", io.BytesIO(b"%PDF-1.4 consent"))


def test_below_ninety_percent_with_the_recorded_written_consent(db, property_sale, prop, clock):
    trade = _after_disclosure(clock, property_sale)
    with pytest.raises(NotAllowed):
        _consent({"decider": prop["staff"]}, trade, Decimal("8500000.00"))
    with pytest.raises(InvalidInput) as exc:
        _consent(prop, trade, NINETY)  # at 90% no consent is needed
    assert "lowest_price" in exc.value.errors
    consent = _consent(prop, trade, Decimal("8500000.00"))
    with pytest.raises(InvalidInput):  # the consent goes down to 8.5 million, not below
        prop_services.change_reserve(prop["staff"], trade, Decimal("8500000.00") - FEN, "too deep", REDISCLOSED_UNTIL)
    change = prop_services.change_reserve(prop["staff"], trade, Decimal("8500000.00"), "with consent",
                                          REDISCLOSED_UNTIL)
    db.session.commit()
    assert change.consent_id == consent.id and consent.decided_by_id == prop["decider"].id
    assert len(consent.sha256) == 64 and consent.reason


def entries_audience(db, trade) -> set[str]:
    from monitor.audit.models import AuditEntry

    return set(db.session.scalars(sa.select(AuditEntry.audience).where(
        AuditEntry.trade_id == trade.id, AuditEntry.action == "property_reserve_changes.insert")))


def test_each_change_is_an_audit_entry_with_old_and_new_price(db, property_sale, prop, clock):
    from monitor.audit.models import AuditEntry

    trade = _after_disclosure(clock, property_sale)
    prop_services.change_reserve(prop["staff"], trade, NINETY, "no buyer", REDISCLOSED_UNTIL)
    db.session.commit()
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.trade_id == trade.id,
                                                              AuditEntry.action == "property_reserve_changes.insert"))
    bodies = [json.loads(e.body) for e in entries]
    assert len(bodies) == 1
    after = bodies[0]["after"]
    assert (after["old_price"], after["new_price"]) == ("10000000.00", "9000000.00")
    assert entries_audience(db, trade) == {"public"}


def test_an_amendment_may_not_leave_the_reserve_below_the_appraisal(db, property_sale, prop, clock):
    """The listing's amendment (bidding/auctions/terms.py) re-checks the rule set: an appraisal corrected
    upwards without the reserve is refused, naming O32 Art 17."""
    from bidding.auctions import services as auctions

    clock.freeze(START + timedelta(days=3))
    with pytest.raises(InvalidInput) as exc:
        auctions.amend(prop["staff"], property_sale, {"appraised_value": "10500000.00"}, "评估值更正", "")
    assert "17" in exc.value.errors["estimated_price"][0]
