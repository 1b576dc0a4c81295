"""Savings: budget (the draw) minus the contract amount, by project, purchaser and centre over a period.

The contract rows are written as bidding/award stores them (award_contracts); taking each trade through its
ceremony and award is bidding's own tests' work, and the savings read only the stored record."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from bidding.award.models import Contract
from procurement.plans import services
from tests.conftest import CST, api_headers


def _contract(db, trade, users, amount: str, signed: datetime) -> None:
    db.session.add(Contract(trade_id=trade.id, organisation_id=users["bidder"].organisation_id,
                            amount=Decimal(amount), performance_bond=Decimal("0.00"), signed_on=signed,
                            filename="contract.pdf", content_type="application/pdf", size=1, sha256="0" * 64,
                            recorded_at=signed, recorded_by_id=users["staff_proc"].id))
    db.session.commit()


def _scene(db, plan, gp_trade, users):
    a = gp_trade(price="400000.00")
    b = gp_trade(price="300000.00")
    c = gp_trade(price="500000.00")  # drawn, no contract yet: not counted
    for trade, line in ((a, 0), (b, 0), (c, 1)):
        services.draw(users["tenderer"], trade, plan.lines[line].id)
    db.session.commit()
    _contract(db, a, users, "352000.50", datetime(2026, 3, 31, 23, 30, tzinfo=CST))
    _contract(db, b, users, "300000.00", datetime(2026, 4, 1, 0, 0, tzinfo=CST))
    return a, b, c


def test_savings_per_project_purchaser_centre_and_period(client, db, plan, gp_trade, users):
    a, b, _c = _scene(db, plan, gp_trade, users)
    headers = api_headers(client, "tenderer")
    by_project = client.get("/api/v1/procurement/savings?group=project", headers=headers).get_json()
    assert [(r["key"], r["budget"], r["contract"], r["saving"]) for r in by_project["rows"]] == [
        (a.ref, "400000.00", "352000.50", "47999.50"), (b.ref, "300000.00", "300000.00", "0.00")]
    assert by_project["total"]["saving"] == "47999.50" and by_project["total"]["rate"] == "6.86"
    by_purchaser = client.get("/api/v1/procurement/savings?group=purchaser", headers=headers).get_json()
    assert [(r["name"], r["projects"], r["saving"]) for r in by_purchaser["rows"]] == [
        ("City Works Investment Co.", 2, "47999.50")]
    centre = client.get("/api/v1/procurement/savings?group=centre", headers=api_headers(client, "staff_proc"))
    assert [(r["key"], r["saving"]) for r in centre.get_json()["rows"]] == [("PROC", "47999.50")]
    # the period is in Beijing days, both ends included: 31 March 23:30 is March, 1 April 00:00 is April
    march = client.get("/api/v1/procurement/savings?group=project&from=2026-03-01&to=2026-03-31", headers=headers)
    assert [r["key"] for r in march.get_json()["rows"]] == [a.ref]
    april = client.get("/api/v1/procurement/savings?group=project&from=2026-04-01&to=2026-04-01", headers=headers)
    assert [r["key"] for r in april.get_json()["rows"]] == [b.ref]


def test_savings_show_only_ones_own_work_and_refuse_bad_parameters(client, db, plan, gp_trade, users):
    _scene(db, plan, gp_trade, users)
    other = client.get("/api/v1/procurement/savings", headers=api_headers(client, "other_tenderer")).get_json()
    assert other["rows"] == [] and other["total"]["budget"] == "0.00"
    works = client.get("/api/v1/procurement/savings", headers=api_headers(client, "staff")).get_json()
    assert works["rows"] == []  # the works centre's staff do not see the procurement centre's savings
    headers = {**api_headers(client, "tenderer"), "Accept-Language": "en"}
    bad = client.get("/api/v1/procurement/savings?group=bidder", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["field"] == "group"
    reversed_ = client.get("/api/v1/procurement/savings?from=2026-05-01&to=2026-04-01", headers=headers)
    assert reversed_.status_code == 422 and reversed_.get_json()["field"] == "to"
    assert client.get("/api/v1/procurement/savings?from=31/03/2026", headers=headers).get_json()["field"] == "from"
