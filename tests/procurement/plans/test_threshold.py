"""The open-tender threshold: another method at or above it needs the decision branch's approval."""
from __future__ import annotations

from decimal import Decimal

import pytest

from procurement.plans import catalogue, services
from procurement.plans.models import MethodApproval
from tests.conftest import api_headers
from trading.errors import InvalidInput, NotAllowed


def _services_line(plan):
    return plan.lines[1]  # C16000000, 3,000,000.00: services, threshold 2,000,000.00


def test_threshold_is_data_with_its_source_and_date(app):
    with app.app_context():
        t = catalogue.threshold_for("services", catalogue.date(2026, 3, 2))
        assert t.amount == Decimal("2000000.00") and "国办发〔2019〕55号" in t.source.zh and t.source.certainty == "?"
        assert catalogue.threshold_for("works", catalogue.date(2018, 5, 31)) is None  # not yet in force


def test_just_below_the_threshold_any_method_draws(db, plan, gp_trade, users):
    services.draw(users["tenderer"], gp_trade("gp_inquiry", "1999999.99"), _services_line(plan).id)


def test_exactly_the_threshold_without_approval_is_refused(db, plan, gp_trade, users):
    trade = gp_trade("gp_competitive_negotiation", "2000000.00")
    with pytest.raises(InvalidInput) as exc:
        services.draw(users["tenderer"], trade, _services_line(plan).id)
    assert exc.value.field == "method"
    assert "¥2,000,000.00" in exc.value.errors["method"][0]
    db.session.rollback()
    db.session.expire_all()
    assert _services_line(plan).drawn == Decimal("0.00")


def test_open_tender_above_the_threshold_needs_no_approval(db, plan, gp_trade, users):
    services.draw(users["tenderer"], gp_trade("gp_open_tender", "2500000.00"), _services_line(plan).id)


def test_approval_with_a_reason_allows_it_and_is_recorded(client, db, plan, gp_trade, users):
    trade = gp_trade("gp_competitive_consultation", "2500000.00")
    line_id = _services_line(plan).id
    headers = {**api_headers(client, "tenderer"), "Accept-Language": "en"}
    refused = client.post(f"/api/v1/trades/{trade.id}/budget-draw", json={"line_id": line_id}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["field"] == "method"
    assert "decision branch" in refused.get_json()["errors"]["method"][0]
    # the purchaser may not approve its own method; the decision maker must give a reason
    own = client.post(f"/api/v1/trades/{trade.id}/method-approval", json={"reason": "urgent"}, headers=headers)
    assert own.status_code == 403
    decider = api_headers(client, "decider")
    blank = client.post(f"/api/v1/trades/{trade.id}/method-approval", json={"reason": "  "}, headers=decider)
    assert blank.status_code == 422 and blank.get_json()["field"] == "reason"
    approved = client.post(f"/api/v1/trades/{trade.id}/method-approval",
                           json={"reason": "The service cannot be specified in advance"}, headers=decider)
    assert approved.status_code == 201, approved.get_json()
    row = db.session.get(MethodApproval, approved.get_json()["id"])
    assert (row.method, row.reason, row.approved_by_id) == ("gp_competitive_consultation",
                                                            "The service cannot be specified in advance",
                                                            users["decider"].id)
    drawn = client.post(f"/api/v1/trades/{trade.id}/budget-draw", json={"line_id": line_id}, headers=headers)
    assert drawn.status_code == 201 and drawn.get_json()["left"] == "500000.00"


def test_open_tender_needs_no_approval_and_gets_none(db, gp_trade, users):
    with pytest.raises(InvalidInput) as exc:
        services.approve_method(users["decider"], gp_trade("gp_open_tender", "2500000.00"), "why")
    assert exc.value.field == "method"
    with pytest.raises(NotAllowed):
        services.approve_method(users["staff_proc"], gp_trade("gp_inquiry", "2500000.00"), "why")


def test_a_configured_local_threshold_replaces_the_national_one(make_app, clock):
    app = make_app(PROCUREMENT_OPEN_TENDER_THRESHOLDS={"goods": "4000000.00"})
    with app.app_context():
        t = catalogue.threshold_for("goods", catalogue.date(2026, 3, 2))
        assert t.amount == Decimal("4000000.00") and t.source.certainty == "?"
