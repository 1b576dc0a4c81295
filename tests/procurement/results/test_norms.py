"""E-supervision of a procurement's results: the contract published within 2 working days of its signing
(GPL 46-47, GPR 50), the acceptance within 7 working days of the delivery (configurable practice), the
purchaser's silence past O87 68 — each at its boundary, a late one giving a red card."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest

from bidding.award import services as award
from procurement.results import services
from tests.bidding.award.helpers import cards, check, local
from tests.conftest import api_headers
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.trades.flows import TradeState

SECOND = timedelta(seconds=1)
DECIDED = local(2026, 3, 30, 10, 0)  # Monday


def _decided(db, trade, people, clock):
    clock.freeze(DECIDED)
    row = services.decide(people["tenderer"], trade)
    db.session.commit()
    return row


def _contract(db, trade, people, clock, signed, recorded):
    clock.freeze(recorded)
    price = award.decision_of(trade).price
    contract = award.record_contract(people["staff"], trade, price, "0", signed, "合同.pdf", "application/pdf",
                                     io.BytesIO(b"%PDF-1.4 signed contract"))
    db.session.commit()
    return contract


def test_a_contract_published_on_the_last_instant_draws_no_card(db, gp_publicity, proc_people, clock):
    _decided(db, gp_publicity, proc_people, clock)
    signed = local(2026, 4, 1, 15, 0)  # Wednesday: 2 working days are Thursday and Friday
    _contract(db, gp_publicity, proc_people, clock, signed, local(2026, 4, 4, 0, 0) - SECOND)
    check(db, gp_publicity, local(2026, 4, 10, 0, 0))
    assert [(c.level, c.condition, c.params) for c in cards(db, gp_publicity, "gp.contract_published")] == []


def test_a_contract_published_late_gives_a_red_card(db, gp_publicity, proc_people, clock):
    _decided(db, gp_publicity, proc_people, clock)
    signed = local(2026, 4, 1, 15, 0)
    _contract(db, gp_publicity, proc_people, clock, signed, local(2026, 4, 4, 0, 0))  # the first instant after
    check(db, gp_publicity, local(2026, 4, 10, 0, 0))
    (card,) = cards(db, gp_publicity, "gp.contract_published")
    assert card.level.value == "red"


def test_silence_past_the_decision_period_is_carded_red(db, gp_publicity, clock):
    from tests.procurement.results.test_decision import DUE

    clock.freeze(DUE)
    assert services.award_due() == [gp_publicity.ref]
    (card,) = cards(db, gp_publicity, "gp.award_decision")
    assert card.level.value == "red"  # the purchaser did not decide (O87 68); the platform's award is on record


def test_delivery_then_acceptance_within_seven_working_days(db, client, gp_publicity, proc_people, clock):
    _decided(db, gp_publicity, proc_people, clock)
    _contract(db, gp_publicity, proc_people, clock, local(2026, 4, 1, 9, 0), local(2026, 4, 1, 10, 0))
    assert gp_publicity.state is TradeState.CONTRACTED
    clock.freeze(local(2026, 4, 20, 17, 0))
    headers = api_headers(client, "tenderer")
    for who in ("staff", "bidder", "other_tenderer"):
        got = client.post(f"/api/v1/trades/{gp_publicity.id}/delivery", headers=api_headers(client, who),
                          json={"delivered_at": "2026-04-20T16:00:00+08:00", "note": "全部交付"})
        assert got.status_code in (403, 404), who
    early = client.post(f"/api/v1/trades/{gp_publicity.id}/acceptance", headers=headers,
                        json={"passed": True, "report": "合格"})
    assert early.status_code == 409 and early.get_json()["code"] == "not_delivered"
    future = client.post(f"/api/v1/trades/{gp_publicity.id}/delivery", headers=headers,
                         json={"delivered_at": "2026-04-20T17:00:01+08:00", "note": "全部交付"})
    assert future.status_code == 422 and future.get_json()["field"] == "delivered_at"
    got = client.post(f"/api/v1/trades/{gp_publicity.id}/delivery", headers=headers,
                      json={"delivered_at": "2026-04-20T16:00:00+08:00", "note": "全部交付"})
    assert got.status_code == 201, got.get_json()
    # Monday 20 April: 7 working days are 21-24, 27-29 April; due at midnight before Thursday 30 April
    due = local(2026, 4, 30, 0, 0)
    check(db, gp_publicity, due - SECOND)
    assert [c.level.value for c in cards(db, gp_publicity, "gp.acceptance")] == ["yellow"]
    check(db, gp_publicity, due)
    assert [c.level.value for c in cards(db, gp_publicity, "gp.acceptance")] == ["red"]
    clock.freeze(due + timedelta(hours=10))
    headers = api_headers(client, "tenderer")  # a token lives hours, not days
    done = client.post(f"/api/v1/trades/{gp_publicity.id}/acceptance", headers=headers,
                       json={"passed": True, "report": "经验收，货物数量、型号与合同一致，合格。"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["passed"] is True
    (card,) = cards(db, gp_publicity, "gp.acceptance")
    assert card.level.value == "red"  # done late stays on record
    again = client.post(f"/api/v1/trades/{gp_publicity.id}/acceptance", headers=headers,
                        json={"passed": True, "report": "again"})
    assert again.status_code == 409


def test_acceptance_needs_a_contract_and_the_purchaser(db, gp_publicity, proc_people, clock):
    _decided(db, gp_publicity, proc_people, clock)
    with pytest.raises(IllegalMove) as no_contract:
        services.record_delivery(proc_people["tenderer"], gp_publicity, DECIDED, "交付")
    assert no_contract.value.code == "no_contract"
    _contract(db, gp_publicity, proc_people, clock, local(2026, 4, 1, 9, 0), local(2026, 4, 1, 10, 0))
    with pytest.raises(NotAllowed):
        services.record_delivery(proc_people["staff"], gp_publicity, local(2026, 4, 1, 9, 30), "交付")
    with pytest.raises(InvalidInput) as before:
        services.record_delivery(proc_people["tenderer"], gp_publicity, local(2026, 4, 1, 8, 59), "交付")
    assert "delivered_at" in before.value.errors
    assert services.record_delivery(proc_people["tenderer"], gp_publicity, local(2026, 4, 1, 9, 30),
                                    "交付").delivered_at == local(2026, 4, 1, 9, 30)
    assert Decimal(award.contract_of(gp_publicity).amount) == award.decision_of(gp_publicity).price
