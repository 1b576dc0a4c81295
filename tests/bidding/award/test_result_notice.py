"""The norms that carded every awarded procurement tender and land tender for a missing result notice
(gp.result_published: within 2 working days of the award, GPR 43; land.result_published: within 10,
MLR Order 39 Art 22; both read the fact "result_notice"): a tender awarded here publishes its result with
the award and is never carded; one awarded without a result still is."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bidding.award import services as award
from tests.bidding.award.helpers import bidders, cards, check, local, score  # noqa: F401
from tests.bidding.ceremony.test_ceremony import PRICES, _bid_all, _open
from tests.conftest import START, api_headers, tender_timeline
from trading.accounts.models import RoleGrant
from trading.accounts.roles import Role
from trading.notices.models import Notice, NoticeKind
from trading.trades import services as trades
from trading.trades.flows import TradeState

NORM = "land.result_published"
GP_NORM = "gp.result_published"


def _land_timeline(issue):
    tl = tender_timeline(issue)
    tl.pop("docs_until")
    return tl


@pytest.fixture
def proc_people(db, bidders, centres):
    """The WORKS cast serves the procurement centre too (staff and keyholders, the supervisor)."""
    proc = centres["PROC"].id
    for who, role in (("staff", Role.CENTRE_STAFF), ("staff2", Role.CENTRE_STAFF),
                      ("supervisor", Role.ADMIN_SUPERVISOR)):
        db.session.add(RoleGrant(user_id=bidders[who].id, role=role, centre_id=proc))
    db.session.commit()
    db.session.expire_all()
    return bidders


def test_a_procurement_tender_awarded_here_publishes_its_result_and_draws_no_card(db, client, proc_people,
                                                                                    centres, make_trade, clock):
    people = proc_people
    trade = make_trade(centre_id=centres["PROC"].id, method="gp_open_tender", paper_bids=False,
                       **tender_timeline(START))
    got = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                      json={"execute": [people["staff"].id, people["staff2"].id], "supervise": [people["supervisor"].id]})
    assert got.status_code == 201, got.get_json()
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, name, people[who])
    db.session.commit()
    _bid_all(client, trade, people, PRICES)
    assert _open(client, trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    trades.move(trade, "start_evaluation", people["staff"])
    score(db, trade, people, subject="goods")
    trades.move(trade, "publicize", people["staff"])
    lst = award.current_list(trade)
    assert lst is not None and lst.publicity_ends == lst.published_at  # no candidates' publicity in procurement
    refused = client.post(f"/api/v1/trades/{trade.id}/award/decision", json={"disqualified": []},
                          headers=api_headers(client, "staff"))
    assert refused.status_code == 409 and refused.get_json()["code"] == "purchaser_decides"
    # the purchaser decides (O87 68, procurement's results API), and the platform makes the award on it
    got = client.post(f"/api/v1/trades/{trade.id}/award-decision", json={}, headers=api_headers(client, "tenderer"))
    assert got.status_code == 201, got.get_json()
    db.session.expire_all()
    decision = award.decision_of(trade)
    assert trade.state is TradeState.AWARDED
    result = db.session.scalar(sa.select(Notice).where(Notice.trade_id == trade.id, Notice.kind == NoticeKind.RESULT))
    assert result.published_at == decision.decided_at
    check(db, trade, decision.decided_at + timedelta(days=30))
    assert cards(db, trade, GP_NORM) == []


def test_a_land_tender_awarded_without_a_result_is_still_carded(db, users, centres, make_trade, clock, make_user):
    land = centres["LAND"].id
    staff = make_user("land_staff", (Role.CENTRE_STAFF, "LAND"))
    decider = make_user("land_decider", (Role.DECISION_MAKER, "LAND"))
    trade = make_trade(actor=staff, centre_id=land, method="land_tender", bid_security=None,
                       **_land_timeline(START))
    for name, who in (("submit", staff), ("approve", decider), ("publish", staff)):
        trades.move(trade, name, who)
    clock.freeze(trade.bid_deadline)
    for name in ("close", "start_opening", "finish_opening", "start_evaluation", "publicize", "award"):
        trades.move(trade, name, staff)  # on paper: nothing published here
    db.session.commit()
    awarded = trade.history[-1].at
    assert awarded == local(2026, 3, 27, 9, 0)  # Friday: ten working days are 30 March .. 10 April
    due = local(2026, 4, 11, 0, 0)
    check(db, trade, due - timedelta(days=1, seconds=1))
    assert cards(db, trade, NORM) == []
    check(db, trade, due - timedelta(seconds=1))
    assert [c.level.value for c in cards(db, trade, NORM)] == ["yellow"]
    check(db, trade, due)
    (card,) = cards(db, trade, NORM)
    assert card.level.value == "red" and card.condition == "overdue"
