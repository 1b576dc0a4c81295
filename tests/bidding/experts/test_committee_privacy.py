"""The committee's names stay secret until the result is published (Law 37, Reg 46): experts are drawn,
one declines and is replaced, one confirms, and every viewer kind walks every GET route of the app
(pages, /api/v1 JSON, PDFs, streams; the route list read from `app.url_map`, as in
tests/bidding/test_bidder_privacy.py) plus their notifications. Only the three branches of the trade's
centre may see a drawn expert's name appear; a drawn expert sees no other's. After the award, anyone may."""
from __future__ import annotations

import pytest

from bidding.experts import services as experts
from tests.bidding.experts.helpers import NAMES, plan, pool, run_draw  # noqa: F401  (pool: fixture)
from tests.bidding.test_bidder_privacy import Viewer, _count, routes
from tests.conftest import api_headers
from trading.trades.flows import TradeState

INSIDERS = ("staff", "decider", "supervisor", "social")
OUTSIDERS = ("anonymous", "bidder", "tenderer", "other_tenderer", "staff_proc", "expert", "public")


@pytest.fixture
def app(make_app):
    return make_app(LIVE_MAX_SECONDS=0)


def _walk(app, urls, names, markers) -> dict:
    seen = {}
    for name in names:
        viewer = Viewer(app, name)
        for _endpoint, url in urls:
            _status, text = viewer.read(url)
            seen[(name, url)] = _count(text, markers)
    return seen


def test_the_member_list_is_secret_until_the_result(app, db, client, users, published_trade, pool, clock):  # noqa: F811
    trade = published_trade
    plan(db, users, trade)
    urls, _unfilled = routes(app, {"trade_id": trade.id, "ref": trade.ref, "centre_id": trade.centre_id})
    assert any("/committee" in url for _e, url in urls) and any("expert" in url for _e, url in urls)
    witness = "ex10"  # an expert of the pool who is not drawn (another specialty)
    viewers = (*INSIDERS, *OUTSIDERS, witness)
    before = _walk(app, urls, viewers, NAMES)

    experts.draw(users["staff"], trade)
    db.session.commit()
    run_draw(db, clock, trade)
    first, second = experts.seats(trade)[:2]
    experts.decline(first.expert.user, trade, first.id, "出差")
    experts.confirm(second.expert.user, trade, second.id)
    db.session.commit()
    drawn = [NAMES[next(i for i, e in pool.items() if e.id == s.expert_id)] for s in experts.seats(trade)]
    after = _walk(app, urls, viewers, NAMES)

    leaks = [f"{who} {url}" for (who, url), n in after.items() if who not in INSIDERS and n > before[(who, url)]]
    assert leaks == []
    shown = [url for (who, url), n in after.items() if who == "staff" and n > before[(who, url)]]
    assert any(url.endswith(f"/trades/{trade.id}/committee") for url in shown)  # the walk does see names
    # a drawn expert sees their own seat and nobody else's name
    own = second.expert.user.username
    others = [n for n in drawn if n != second.expert.user.display_name]
    mine = _walk(app, urls, [own], others)
    assert sum(mine.values()) == 0
    seats = client.get(f"/api/v1/trades/{trade.id}/committee/members", headers=api_headers(client, own)).get_json()
    assert [s["id"] for s in seats] == [second.id]
    # notifications: each drawn expert is told of their own seat, nobody else of anyone's
    from trading.notices.models import Notification

    told = db.session.scalars(db.select(Notification).where(Notification.kind == "expert_drawn")).all()
    assert sorted(n.user_id for n in told) == sorted(s.user_id for s in experts.seats(trade))

    trade.state = TradeState.AWARDED  # the result is published (the award's own flow is issue 10 item 6)
    db.session.commit()
    public = client.get(f"/api/v1/trades/{trade.id}/committee/members", headers=api_headers(client, "public"))
    assert {s["name"] for s in public.get_json()} == set(drawn)
