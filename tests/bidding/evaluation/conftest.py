"""An evaluation room: a sealed works tender opened with three bids, under evaluation, three experts seated."""
from __future__ import annotations

import json

import pytest

from bidding.evaluation import services as evaluation
from bidding.evaluation.models import SeatKind
from tests.bidding.ceremony.test_ceremony import _bid_all, _open, bidders, sealed_trade  # noqa: F401
from trading.accounts.roles import Role
from trading.trades import services as trades

MEMBERS = ("expert", "expert2", "expert3")


@pytest.fixture
def room(db, client, sealed_trade, bidders, clock, make_user):
    """{"trade", "entries": {bidder username: OpeningEntry}, "users"}: three opened bids, three sitting experts."""
    from bidding.ceremony.state import ceremony_of

    _bid_all(client, sealed_trade, bidders)
    assert _open(client, sealed_trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    for name in MEMBERS[1:]:
        bidders[name] = make_user(name, (Role.EXPERT, None))
    for name in MEMBERS:
        evaluation.seat_member(bidders["staff"], sealed_trade, bidders[name], SeatKind.EXPERT)
    trades.move(sealed_trade, "start_evaluation", bidders["staff"])
    db.session.commit()
    by_org = {e.organisation_id: e for e in ceremony_of(sealed_trade).entries}
    entries = {who: by_org[bidders[who].organisation_id] for who in ("bidder", "bidder_b", "bidder_c")}
    return {"trade": sealed_trade, "entries": entries, "users": bidders}


def readable(response) -> str:
    """The body as a reader reads it (JSON's \\u escapes would hide the Chinese)."""
    data = response.get_data(as_text=True)
    try:
        return json.dumps(json.loads(data), ensure_ascii=False)
    except ValueError:
        return data
