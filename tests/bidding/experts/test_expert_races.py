"""Racing requests over a real HTTP server: 409 or success, never 500; two declines at once take two different
replacements, the next two of the order, and one seat is left once."""
from __future__ import annotations

from bidding.experts import services as experts
from bidding.experts.models import PURPOSE
from tests.bidding.experts.helpers import entries, plan, pool, run_draw  # noqa: F401  (pool: fixture)
from tests.conftest import api_headers
from tests.monitor.supervisors.test_draw_rounds import _race, server  # noqa: F401  (server: fixture)
from trading.draws import services as draws


def test_racing_declines_never_fail_and_take_the_order_in_turn(db, client, server, users, published_trade, pool,  # noqa: F811
                                                               clock):
    trade = published_trade
    plan(db, users, trade)
    experts.draw(users["staff"], trade)
    db.session.commit()
    run_draw(db, clock, trade)
    (row,) = draws.rounds(PURPOSE, trade)
    first, second = experts.seats(trade)[:2]
    base = f"/api/v1/trades/{trade.id}/committee/members"
    one, two = (api_headers(client, s.expert.user.username) for s in (first, second))
    both = _race(server, [(f"{base}/{first.id}/decline", {"reason": "出差"}, one),
                          (f"{base}/{second.id}/decline", {"reason": "生病"}, two)])
    assert both == [200, 200], both
    db.session.expire_all()
    assert sorted(s.expert_id for s in experts.sitting(trade)) == sorted(row.order[2:7])
    assert sorted(e["after"]["position"] for e in entries(db, "experts.replacement", trade)) == [5, 6]
    third = next(s for s in experts.sitting(trade) if s.position == 2)
    staff = api_headers(client, "staff")
    mine = api_headers(client, third.expert.user.username)
    once = _race(server, [(f"{base}/{third.id}/decline", {"reason": "回避"}, mine),
                          (f"{base}/{third.id}/recusal", {"reason": "与投标人有利害关系"}, staff)])
    assert sorted(once) == [200, 409], once
    db.session.expire_all()
    assert len(entries(db, "experts.replacement", trade)) == 3 and len(experts.sitting(trade)) == 5
