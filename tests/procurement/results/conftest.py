"""A procurement open tender at PROC carried through a real opening (real envelopes, real key shares), with the
purchaser's SME terms (goods, 10%) and one supplier's SME declaration; then scored and its candidates published."""
from __future__ import annotations

from decimal import Decimal

import pytest

from procurement.results import sme
from tests.bidding.award.helpers import score
from tests.bidding.ceremony.test_ceremony import PRICES, _bid_all, _open, bidders  # noqa: F401
from tests.bidding.conftest import keyholding  # noqa: F401
from tests.conftest import START, api_headers, tender_timeline
from tests.procurement.plans.conftest import gp_trade, plan  # noqa: F401
from trading.accounts.models import RoleGrant
from trading.accounts.roles import Role
from trading.trades import services as trades
from trading.trades.flows import TradeState

#: bidder 4,815,000.00; bidder_b 4,700,000.50; bidder_c 4,999,999.99 (tests/bidding/ceremony/test_ceremony.py)
GP_PRICES = PRICES
DECLARATION = {"size": "small", "industry": "industry", "employees": 45, "revenue": Decimal("8800000.00")}


@pytest.fixture
def proc_people(db, bidders, centres):  # noqa: F811
    """The WORKS cast serves the procurement centre too (staff and keyholders, the supervisor)."""
    proc = centres["PROC"].id
    for who, role in (("staff", Role.CENTRE_STAFF), ("staff2", Role.CENTRE_STAFF),
                      ("supervisor", Role.ADMIN_SUPERVISOR)):
        db.session.add(RoleGrant(user_id=bidders[who].id, role=role, centre_id=proc))
    db.session.commit()
    db.session.expire_all()
    return bidders


@pytest.fixture
def gp_bidding(db, client, proc_people, centres, make_trade, clock):
    """Published and open for bids, its SME terms stated by the purchaser while a draft: goods, 10%."""
    people = proc_people
    trade = make_trade(centre_id=centres["PROC"].id, method="gp_open_tender", paper_bids=False,
                       title="市属学校办公设备采购", **tender_timeline(START))
    sme.set_policy(people["tenderer"], trade, {"category": "goods", "deduction": Decimal("10")})
    got = client.post(f"/api/v1/trades/{trade.id}/keyholders", headers=api_headers(client, "decider"),
                      json={"execute": [people["staff"].id, people["staff2"].id], "supervise": [people["supervisor"].id]})
    assert got.status_code == 201, got.get_json()
    for name, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, name, people[who])
    db.session.commit()
    assert trade.state is TradeState.BIDDING
    return trade


def open_and_score(db, client, trade, people, clock, declare: tuple[str, ...] = ("bidder_c",)) -> None:
    """Each company in `declare` declares itself small with its bid; open, evaluate, score (lowest evaluated price)."""
    for who in declare:
        sme.declare(people[who], trade, DECLARATION)
    db.session.commit()
    _bid_all(client, trade, people, GP_PRICES)
    assert _open(client, trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    trades.move(trade, "start_evaluation", people["staff"])
    score(db, trade, people, subject="goods")


@pytest.fixture
def gp_publicity(db, client, gp_bidding, proc_people, clock):
    """Scored with bidder_c declared small; candidates published at the opening time (Friday 27 March 2026, 09:00)."""
    open_and_score(db, client, gp_bidding, proc_people, clock)
    trades.move(gp_bidding, "publicize", proc_people["staff"])
    db.session.commit()
    assert gp_bidding.state is TradeState.PUBLICITY
    return gp_bidding
