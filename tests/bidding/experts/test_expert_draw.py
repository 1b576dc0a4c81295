"""The expert draw nobody can steer (docs/draws.md, docs/experts.md): a round per specialty fixed before its seed
exists, drawn by the tick from a beacon signed after it; the drawn are the first of an order that replays
offline; a decline or recusal is answered by the next of that order, an exhausted order by a new round."""
from __future__ import annotations

import hashlib
from datetime import timedelta

from bidding.experts import services as experts
from bidding.experts.models import PURPOSE, SeatStatus
from monitor.verify import draw as offline
from tests.bidding.experts.helpers import entries, plan, pool, run_draw  # noqa: F401  (pool: fixture)
from tests.conftest import api_headers
from trading.draws import services as draws

A = bytes(range(32))


def test_the_round_is_fixed_before_its_seed_and_drawn_by_the_tick(db, users, published_trade, pool, clock):  # noqa: F811
    trade = published_trade
    plan(db, users, trade)
    (row,) = experts.draw(users["staff"], trade)
    db.session.commit()
    assert (row.status, row.candidates, row.count) == ("fixed", sorted(pool[i].id for i in range(10)), 5)
    assert experts.seats(trade) == []
    clock.freeze(row.commit_until - timedelta(seconds=1))
    draws.run_due()
    assert experts.seats(trade) == []  # too early: nothing drawn
    run_draw(db, clock, trade)
    db.session.refresh(row)
    (fixed,) = entries(db, "experts.draw_fixed", trade)
    (sealed,) = entries(db, "experts.draw_sealed", trade)
    (drawn,) = entries(db, "experts.draw", trade)
    # the beacon covers the fixing entry: its root did not exist when the candidates were fixed
    assert fixed["_seq"] < sealed["after"]["beacon"]["size"] <= sealed["_seq"] < drawn["_seq"]
    assert drawn["after"]["candidates"] == fixed["after"]["candidates"] and drawn["after"]["count"] == 5
    replay = offline.replay(drawn)
    assert replay["matches"] and replay["selected"] == row.selected
    assert [s.expert_id for s in experts.seats(trade)] == row.selected == row.order[:5]
    assert all(s.status is SeatStatus.NOTIFIED for s in experts.seats(trade))


def test_a_contribution_committed_before_the_beacon_changes_the_seed(db, client, users, published_trade, pool,
                                                                      clock):  # noqa: F811
    trade = published_trade
    plan(db, users, trade)
    (row,) = experts.draw(users["staff"], trade)
    db.session.commit()
    url = f"/api/v1/trades/{trade.id}/committee/draws/1"
    staff = client.post(f"{url}/commitments", json={"commitment": "00" * 32}, headers=api_headers(client, "staff"))
    assert staff.status_code == 403  # whoever runs the draw adds no randomness to it
    sup = api_headers(client, "supervisor")
    made = client.post(f"{url}/commitments", json={"commitment": hashlib.sha256(A).hexdigest()}, headers=sup)
    assert made.status_code == 201, made.get_json()
    clock.freeze(row.commit_until)
    draws.run_due()
    db.session.refresh(row)
    assert row.status == "sealed" and experts.seats(trade) == []
    done = client.post(f"{url}/reveals", json={"reveal": A.hex()}, headers=sup)
    assert done.status_code == 200, done.get_json()
    db.session.expire_all()
    (drawn,) = entries(db, "experts.draw", trade)
    assert drawn["after"]["contributions"][0]["reveal"] == A.hex() and offline.replay(drawn)["matches"]
    without = offline.replay({**drawn["after"], "contributions": []})
    assert without["seed"] != drawn["after"]["seed"]  # the contribution is in the seed


def test_a_decline_takes_the_next_of_the_order_fixed_before_it(db, users, published_trade, pool, clock):  # noqa: F811
    trade = published_trade
    plan(db, users, trade)
    experts.draw(users["staff"], trade)
    db.session.commit()
    run_draw(db, clock, trade)
    (row,) = draws.rounds(PURPOSE, trade)
    order = list(row.order)
    first = experts.seats(trade)[0]
    user = first.expert.user
    experts.decline(user, trade, first.id, "出差在外，无法参加")
    db.session.commit()
    sitting = [s.expert_id for s in experts.sitting(trade)]
    assert sitting == order[1:6]  # the sixth of the order, named before anyone declined
    # declining again and again walks down the same list: no new randomness
    for k in range(6, 10):
        seat = next(s for s in experts.sitting(trade) if s.expert_id == order[k - 5])
        experts.decline(seat.expert.user, trade, seat.id, "身体原因")
        db.session.commit()
        assert order[k] in [s.expert_id for s in experts.sitting(trade)]
    (last,) = [s for s in experts.sitting(trade) if s.expert_id == order[5]]
    (replacement, *_rest) = entries(db, "experts.replacement", trade)
    assert replacement["after"]["position"] == 5 and replacement["after"]["expert"] == order[5]
    assert len(entries(db, "experts.recusal", trade)) == 5
    # the order is exhausted: the next decline fixes a new round for the one place (trigger redraw)
    experts.decline(last.expert.user, trade, last.id, "回避")
    db.session.commit()
    new = draws.pending(PURPOSE, trade)
    assert new is not None and (new.round, new.trigger, new.count) == (2, "redraw", 1)
    assert new.candidates == []  # everyone of A01 has been drawn for this trade already


def test_confirmation_and_the_policy(db, client, users, published_trade, pool, clock):  # noqa: F811
    trade = published_trade
    plan(db, users, trade)
    experts.draw(users["staff"], trade)
    db.session.commit()
    run_draw(db, clock, trade)
    seat = experts.seats(trade)[0]
    other = experts.seats(trade)[1]
    who = seat.expert.user.username
    headers = api_headers(client, who)
    base = f"/api/v1/trades/{trade.id}/committee/members"
    wrong = client.post(f"{base}/{other.id}/confirm", headers=headers)
    assert wrong.status_code == 403  # nobody confirms someone else's seat
    bad = client.post(f"{base}/{seat.id}/decline", json={"reason": ""}, headers=headers)
    assert bad.status_code == 422 and "reason" in bad.get_json()["errors"]
    db.session.expire_all()
    assert experts.seats(trade)[0].status is SeatStatus.NOTIFIED  # nothing half done
    ok = client.post(f"{base}/{seat.id}/confirm", headers=headers)
    assert ok.status_code == 200 and ok.get_json()["status"] == "confirmed"
    again = client.post(f"{base}/{seat.id}/confirm", headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "not_pending"
    mine = client.get("/api/v1/me/expert-assignments", headers=headers).get_json()
    assert [m["id"] for m in mine] == [seat.id]
    assert len(entries(db, "experts.confirmed", trade)) == 1


def test_the_plan_cannot_change_once_drawing(db, users, published_trade, pool):  # noqa: F811
    trade = published_trade
    plan(db, users, trade)
    experts.draw(users["staff"], trade)
    db.session.commit()
    import pytest
    from trading.errors import IllegalMove

    with pytest.raises(IllegalMove):
        plan(db, users, trade, lines=(("A01", 7),))
    with pytest.raises(IllegalMove):  # a second draw while one is pending has nothing to fix
        experts.draw(users["staff"], trade)


def test_an_expert_drawn_in_two_specialties_sits_once(db, users, published_trade, pool, clock):  # noqa: F811
    """Four active experts know both specialties: the second round (two of four) must draw someone the first
    (three of four) already seated; they are excluded at once (drawn already), never seated twice."""
    trade = published_trade
    for i, e in pool.items():
        e.specialties, e.active = ["A01", "C04"], i < 4
    db.session.commit()
    plan(db, users, trade, lines=(("A01", 3), ("C04", 2)))
    experts.draw(users["staff"], trade)
    db.session.commit()
    run_draw(db, clock, trade)
    sitting = [s.expert_id for s in experts.sitting(trade)]
    assert len(sitting) == 4 and len(set(sitting)) == 4
    ineligible = [s for s in experts.seats(trade) if s.status is SeatStatus.INELIGIBLE]
    assert ineligible and all(s.reason == "drawn already for this trade" for s in ineligible)
