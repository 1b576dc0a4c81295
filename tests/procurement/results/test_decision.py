"""The purchaser's award decision (O87 68: report in 2 working days, decision in 5; silence: rank one): the
purchaser within its period, the platform's award from the first instant after it, driven by the scheduler's
tick, audited; the result announcement published with it and lasting 1 working day."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from bidding.award import services as award
from procurement.results import services
from tests.bidding.award.helpers import cards, check, local
from tests.conftest import api_headers
from trading.errors import IllegalMove, InvalidInput, NotAllowed
from trading.trades.flows import SYSTEM, TradeState
from trading.trades.models import TradeTransition

SECOND = timedelta(seconds=1)
#: candidates out Friday 27 March 2026 09:00; 7 working days (the start day not counted; the test calendar has no
#: holiday then): 30, 31 March, 1, 2, 3, 6, 7 April; the period runs out at midnight before Wednesday 8 April
DUE = local(2026, 4, 8, 0, 0)


def _tick():
    return services.award_due()


def test_the_decision_is_due_seven_working_days_after_the_candidates(db, gp_publicity):
    assert services.decision_due(gp_publicity) == DUE


def test_silence_the_platform_awards_rank_one_at_the_first_instant_after_the_period(db, gp_publicity, proc_people,
                                                                                    clock):
    assert services.award_due in current_app.extensions["trade_ticks"]  # the scheduler and `flask tick` run it
    clock.freeze(DUE - SECOND)
    assert _tick() == []
    db.session.expire_all()
    assert gp_publicity.state is TradeState.PUBLICITY
    clock.freeze(DUE)
    assert _tick() == [gp_publicity.ref]
    db.session.expire_all()
    assert gp_publicity.state is TradeState.AWARDED
    first = award.current_list(gp_publicity).candidates[0]
    made = services.purchaser_decision_of(gp_publicity)
    assert made.by_platform and made.decided_by_id is None and made.decided_at == DUE and made.due_at == DUE
    assert made.award.candidate_id == first.id and made.award.decided_by_id is None
    move = db.session.scalar(sa.select(TradeTransition).where(TradeTransition.trade_id == gp_publicity.id,
                                                              TradeTransition.move == "award"))
    assert move.actor_id is None and move.actor_role == SYSTEM and move.at == DUE
    from monitor.audit.models import AuditEntry

    logged = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.trade_id == gp_publicity.id)).all()
    assert any("gp_purchaser_decisions" in e.body for e in logged) and any("award_decisions" in e.body for e in logged)
    assert _tick() == []  # once
    with pytest.raises(IllegalMove) as late:
        services.decide(proc_people["tenderer"], gp_publicity)
    assert late.value.code == "wrong_stage"


def test_the_purchaser_decides_within_its_period_and_not_after(db, client, gp_publicity, proc_people, clock):
    clock.freeze(DUE)
    refused = client.post(f"/api/v1/trades/{gp_publicity.id}/award-decision", json={},
                          headers=api_headers(client, "tenderer"))
    assert refused.status_code == 409 and refused.get_json()["code"] == "decision_period_over"
    clock.freeze(DUE - SECOND)
    for who in ("staff", "supervisor", "bidder", "other_tenderer"):
        with pytest.raises(NotAllowed):
            services.decide(proc_people[who], gp_publicity)
    first, second, _third = award.current_list(gp_publicity).candidates
    with pytest.raises(InvalidInput) as order:
        services.decide(proc_people["tenderer"], gp_publicity, winner_id=second.id)
    assert "winner_id" in order.value.errors
    got = client.post(f"/api/v1/trades/{gp_publicity.id}/award-decision", json={},
                      headers=api_headers(client, "tenderer"))
    assert got.status_code == 201, got.get_json()
    body = got.get_json()
    assert body["by_platform"] is False and body["decided_by"] == proc_people["tenderer"].display_name
    assert body["price"] == str(first.price)
    db.session.expire_all()
    assert gp_publicity.state is TradeState.AWARDED
    clock.freeze(DUE)
    assert _tick() == []


def test_the_result_is_announced_with_the_award_for_one_working_day(db, client, gp_publicity, proc_people, clock):
    at = local(2026, 4, 3, 16, 0)  # a Friday: the one working day after it is Monday 6 April
    clock.freeze(at)
    services.decide(proc_people["tenderer"], gp_publicity)
    db.session.commit()
    got = client.get(f"/api/v1/trades/{gp_publicity.id}/procurement-result").get_json()  # anyone
    assert got["announcement"]["published_at"] == at.astimezone(__import__("datetime").timezone.utc).isoformat()
    ann = services.announcement(gp_publicity)
    assert ann["ends_at"] == local(2026, 4, 7, 0, 0) and ann["running"]
    check(db, gp_publicity, at + timedelta(days=10))
    assert cards(db, gp_publicity, "gp.result_published") == []
    assert cards(db, gp_publicity, "gp.award_decision") == []


def test_the_purchaser_passes_rank_one_over_for_a_recorded_reason(db, client, gp_publicity, proc_people, clock):
    """Rank one gave up: the purchaser passes it over with the reason and takes rank two; the disqualification
    and the award name the purchaser, not the platform."""
    from bidding.award.models import Disqualification

    clock.freeze(DUE - SECOND)
    first, second, _third = award.current_list(gp_publicity).candidates
    got = client.post(f"/api/v1/trades/{gp_publicity.id}/award-decision", headers=api_headers(client, "tenderer"),
                      json={"passed_over": [{"candidate_id": first.id, "reason": "gave_up",
                                             "note": "第一中标候选人书面放弃"}]})
    assert got.status_code == 201, got.get_json()
    assert got.get_json()["price"] == str(second.price)
    decision = award.decision_of(gp_publicity)
    (dropped,) = db.session.scalars(sa.select(Disqualification).where(Disqualification.trade_id == gp_publicity.id))
    assert (dropped.candidate_id, dropped.by_id) == (first.id, proc_people["tenderer"].id)
    assert decision.candidate_id == second.id and decision.decided_by_id == proc_people["tenderer"].id


def test_a_suspension_for_a_challenge_does_not_eat_the_purchasers_period(db, client, gp_publicity, proc_people,
                                                                       clock):
    """Suspended two days before the period ran out, for three days (GPL 54): the period ends three days later
    than it would have, so the purchaser still decides after the resume and the tick awards nothing early."""
    from procurement.challenges.services import PROCEDURE  # the moves are the challenge procedure's
    from trading.trades.lifecycle import transition

    paused_at = DUE - timedelta(days=2)
    clock.freeze(paused_at)
    transition(gp_publicity, "pause_for_challenge", None, reason="challenge GP-1", at=paused_at, by=PROCEDURE)
    db.session.commit()
    assert services.decision_due(gp_publicity) is None  # suspended: the period does not run
    clock.freeze(paused_at + timedelta(days=3))
    transition(gp_publicity, "resume_after_challenge", None, reason="answered", at=paused_at + timedelta(days=3),
               by=PROCEDURE)
    db.session.commit()
    assert services.decision_due(gp_publicity) == DUE + timedelta(days=3)
    clock.freeze(DUE + timedelta(days=1))  # past the unsuspended end, within the moved one
    assert _tick() == []
    got = client.post(f"/api/v1/trades/{gp_publicity.id}/award-decision", json={},
                      headers=api_headers(client, "tenderer"))
    assert got.status_code == 201, got.get_json()
