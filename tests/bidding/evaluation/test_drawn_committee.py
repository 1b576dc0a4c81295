"""A committee the expert draw made: the confirmed experts are the sitting members whose marks the review
counts; a notified expert who has not confirmed is not, and an expert set aside stops counting."""
from __future__ import annotations

from bidding.evaluation import review
from bidding.evaluation.permissions import sitting_members
from bidding.experts import services as experts
from bidding.experts.models import SeatStatus
from tests.bidding.ceremony.test_ceremony import _bid_all, _open
from tests.bidding.experts.helpers import plan, pool, run_draw  # noqa: F401  (pool: fixture)
from tests.conftest import api_headers
from trading.accounts.models import User
from trading.trades import services as trades


def test_confirmed_drawn_experts_sit_and_are_counted(db, client, sealed_trade, bidders, pool, clock):  # noqa: F811
    trade = sealed_trade
    plan(db, bidders, trade, lines=(("A01", 5),))
    experts.draw(bidders["staff"], trade)
    db.session.commit()
    run_draw(db, clock, trade)
    seats = [s for s in experts.seats(trade) if s.status is SeatStatus.NOTIFIED]
    assert len(seats) == 5
    for seat in seats[:4]:  # the fifth has not confirmed yet
        experts.confirm(db.session.get(User, seat.user_id), trade, seat.id)
    db.session.commit()
    _bid_all(client, trade, bidders)
    assert _open(client, trade, clock)["outcome"] == "opened"
    db.session.expire_all()
    trades.move(trade, "start_evaluation", bidders["staff"])
    db.session.commit()
    confirmed = sorted(s.user_id for s in seats[:4])
    assert sitting_members(trade) == confirmed
    entry = review.entries(trade)[0]
    url = f"/api/v1/trades/{trade.id}/evaluation/review/marks"
    marks = {"entry_id": entry.id, "marks": [{"criterion": "C3", "passed": False, "reason": "未盖章"}]}
    waiting = db.session.get(User, seats[4].user_id).username
    assert client.post(url, json=marks, headers=api_headers(client, waiting)).status_code == 403
    for seat in seats[:3]:
        who = db.session.get(User, seat.user_id).username
        assert client.post(url, json=marks, headers=api_headers(client, who)).status_code == 200, who
    # three fails of four members: pending until the fourth marks; then failed by majority
    assert review.conclusions(trade)[entry.id]["C3"].result == "pending"
    fourth = db.session.get(User, seats[3].user_id).username
    passed = {"entry_id": entry.id, "marks": [{"criterion": "C3", "passed": True}]}
    assert client.post(url, json=passed, headers=api_headers(client, fourth)).status_code == 200
    db.session.expire_all()
    c3 = review.conclusions(trade)[entry.id]["C3"]
    assert (c3.result, c3.fails, c3.passes) == ("failed", 3, 1)
    # one of the three is set aside for a conflict: two to one still fails the bid, counting only who sits
    experts.recuse(bidders["staff"], trade, seats[0].id, "与投标人存在利害关系")
    db.session.commit()
    db.session.expire_all()
    assert seats[0].user_id not in sitting_members(trade)
    c3 = review.conclusions(trade)[entry.id]["C3"]
    assert (c3.fails, c3.passes) == (2, 1)
    assert entry not in review.passed_entries(trade)
