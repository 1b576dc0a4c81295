"""The experts' pages in Chinese and English: staff plan and fix the draw on the committee page, the drawn
expert confirms or declines on their assignments page, a bad plan is refused on the page naming the field."""
from __future__ import annotations

from bidding.experts import services as experts
from tests.bidding.experts.helpers import pool, run_draw  # noqa: F401  (pool: fixture)
from tests.conftest import login


def test_staff_plan_and_draw_then_the_expert_confirms(db, client, users, published_trade, pool, clock):  # noqa: F811
    trade = published_trade
    login(client, "staff")
    page = f"/bidding/trades/{trade.id}/committee"
    zh = client.get(page).get_data(as_text=True)
    assert "评标委员会" in zh and "组建方案" in zh
    en = client.get(page + "?lang=en").get_data(as_text=True)
    assert "Evaluation committee" in en and "Save plan" in en
    bad = client.post(page, data={"action": "plan", "specialty": "A01", "count": "4", "representatives": "0"})
    assert bad.status_code == 422 and "至少应为 5 名" in bad.get_data(as_text=True)
    assert experts.plan_of(trade) is None
    ok = client.post(page, data={"action": "plan", "specialty": "A01", "count": "4", "representatives": "1"})
    assert ok.status_code == 302
    assert client.post(page, data={"action": "draw"}).status_code == 302
    run_draw(db, clock, trade)
    shown = client.get(page + "?lang=en").get_data(as_text=True)
    seat = experts.seats(trade)[0]
    assert seat.expert.user.display_name in shown and "Awaiting confirmation" in shown

    expert = client.application.test_client()
    login(expert, seat.expert.user.username)
    mine = expert.get("/bidding/experts/assignments").get_data(as_text=True)
    assert "我的评标任务" in mine and trade.ref in mine
    done = expert.post("/bidding/experts/assignments", data={"action": "confirm", "trade_id": str(trade.id),
                                                             "seat_id": str(seat.id)})
    assert done.status_code == 302
    db.session.expire_all()
    assert experts.seats(trade)[0].status.value == "confirmed"
    other = experts.seats(trade)[1]
    refused = expert.post("/bidding/experts/assignments", data={"action": "decline", "trade_id": str(trade.id),
                                                                "seat_id": str(other.id), "reason": "x"})
    assert refused.status_code == 302  # refused with a message: not their seat
    db.session.expire_all()
    assert experts.seats(trade)[1].status.value == "notified"


def test_the_demo_has_a_pool_and_a_committee_draw_fixed(db):
    from bidding.experts.models import PURPOSE, Expert
    from trading.demo import load_demo
    from trading.draws import services as draws
    from trading.trades.models import Trade

    load_demo()
    assert db.session.scalar(db.select(db.func.count()).select_from(Expert)) == 7
    trade = db.session.scalar(db.select(Trade).where(Trade.title == "城东片区道路改造工程施工招标"))
    fixed = draws.rounds(PURPOSE, trade)
    assert sorted((r.params["specialty"], r.count, len(r.candidates)) for r in fixed) == [("A02", 3, 4), ("A06", 1, 2)]
