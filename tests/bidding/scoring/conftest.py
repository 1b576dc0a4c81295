"""A works tender opened at a real ceremony (three bids), under evaluation, with three experts seated."""
from __future__ import annotations

import pytest

from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from tests.bidding.ceremony.test_ceremony import _bid_all, _open, bidders, sealed_trade  # noqa: F401
from trading.accounts.roles import Role
from trading.trades import services as trades

EXPERTS = ("e1", "e2", "e3")


@pytest.fixture
def evaluating(db, client, sealed_trade, bidders, clock):  # noqa: F811
    _bid_all(client, sealed_trade, bidders)
    assert _open(client, sealed_trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    trades.move(sealed_trade, "start_evaluation", bidders["staff"])
    db.session.commit()
    return sealed_trade


@pytest.fixture
def committee(db, evaluating, bidders, make_user):
    """Three experts seated on the committee; returns them by name, with the cast of `bidders`."""
    for name in EXPERTS:
        bidders[name] = make_user(name, (Role.EXPERT, None))
        evaluation.seat_member(bidders["staff"], evaluating, bidders[name], SeatKind.EXPERT)
    db.session.commit()
    return bidders


def entries_by_bidder(trade, cast) -> dict:
    """The passed bids keyed by the name of their bidder in the cast (bidder, bidder_b, bidder_c)."""
    from bidding.evaluation.services import passed_bids

    by_org = {e.organisation_id: e for e in passed_bids(trade)}
    return {who: by_org[cast[who].organisation_id] for who in ("bidder", "bidder_b", "bidder_c")}
