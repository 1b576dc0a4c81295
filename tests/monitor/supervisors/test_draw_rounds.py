"""Draws nobody can steer (docs/draws.md): a round is fixed before its seed exists and drawn by the tick;
contributions committed before the beacon and revealed after it enter the seed; a withheld one is left out;
a recusal is answered by the next of an order fixed before it, whatever happens in between."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from monitor.supervisors import draws as supervisor_draws
from monitor.supervisors import registry as supervisors
from monitor.ticks import run_ticks
from monitor.verify import draw as drawing
from tests.conftest import START, api_headers, tender_timeline
from tests.monitor.supervisors.supervisor_helpers import entries, publish, registry, run_draw  # noqa: F401
from trading.trades import services as trades

A, B = bytes(range(32)), bytes(range(32, 64))


def fixed_trade(db, make_trade, users, price: str = "9000000.00"):
    """Published, its first round fixed and nothing drawn."""
    from decimal import Decimal

    trade = make_trade(estimated_price=Decimal(price), bid_security=Decimal("10000.00"), **tender_timeline(START))
    for move, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(trade, move, users[who])
    db.session.commit()
    return trade


def test_publication_fixes_a_round_that_only_the_tick_draws_after_the_deadline(db, users, make_trade, registry,
                                                                               clock):  # noqa: F811
    trade = fixed_trade(db, make_trade, users)
    (row,) = supervisor_draws.draws(trade)
    assert (row.status, row.selected, row.seed, row.checkpoint_id) == ("fixed", [], None, None)
    assert supervisor_draws.drawn(trade) == [] and entries(db, "supervisors.draw", trade) == []
    (fixed,) = entries(db, "supervisors.draw_fixed", trade)
    assert fixed["after"]["candidates"] == row.candidates and fixed["after"]["count"] == 2
    clock.freeze(row.commit_until - timedelta(seconds=1))
    run_ticks()  # the real tick machinery: too early, nothing moves
    db.session.refresh(row)
    assert row.status == "fixed" and supervisor_draws.drawn(trade) == []
    clock.freeze(row.commit_until)
    run_ticks()
    db.session.refresh(row)
    assert row.status == "drawn" and len(supervisor_draws.serving(trade)) == 2
    (sealed,) = entries(db, "supervisors.draw_sealed", trade)
    (drawn,) = entries(db, "supervisors.draw", trade)
    assert fixed["_seq"] < row.checkpoint_size <= sealed["_seq"] < drawn["_seq"]
    assert drawing.replay(drawn)["matches"]


def test_contributions_committed_then_revealed_make_the_seed(db, client, users, make_trade, registry,
                                                             clock):  # noqa: F811
    trade = fixed_trade(db, make_trade, users)
    (row,) = supervisor_draws.draws(trade)
    url = f"/api/v1/trades/{trade.id}/supervision/draws/1"
    sup, social = api_headers(client, "supervisor"), api_headers(client, "social")
    for headers, secret in ((sup, A), (social, B)):
        response = client.post(f"{url}/commitments", json={"commitment": hashlib.sha256(secret).hexdigest()},
                               headers=headers)
        assert response.status_code == 201, response.get_json()
    again = client.post(f"{url}/commitments", json={"commitment": "00" * 32}, headers=sup)
    assert again.status_code == 409 and again.get_json()["code"] == "already_committed"
    decider = client.post(f"{url}/commitments", json={"commitment": "00" * 32}, headers=api_headers(client, "decider"))
    assert decider.status_code == 403  # who fixes draws and decides recusals does not contribute
    early = client.post(f"{url}/reveals", json={"reveal": A.hex()}, headers=sup)
    assert early.status_code == 409 and early.get_json()["code"] == "not_revealing"  # before the beacon: secret
    clock.freeze(row.commit_until)
    late = client.post(f"{url}/commitments", json={"commitment": "11" * 32}, headers=api_headers(client, "social2"))
    assert late.status_code == 409 and late.get_json()["code"] == "commitments_closed"
    run_ticks()
    db.session.refresh(row)
    assert row.status == "sealed" and supervisor_draws.drawn(trade) == []  # waits for the reveals
    (sealed,) = entries(db, "supervisors.draw_sealed", trade)
    assert sorted(c["commitment"] for c in sealed["after"]["commitments"]) == sorted(
        hashlib.sha256(x).hexdigest() for x in (A, B))
    wrong = client.post(f"{url}/reveals", json={"reveal": B.hex()}, headers=sup)
    assert wrong.status_code == 422 and wrong.get_json()["field"] == "reveal"
    assert client.post(f"{url}/reveals", json={"reveal": A.hex()}, headers=sup).status_code == 201
    db.session.expire_all()
    assert supervisor_draws.draws(trade)[0].status == "sealed"
    assert client.post(f"{url}/reveals", json={"reveal": B.hex()}, headers=social).status_code == 201
    db.session.expire_all()
    row = supervisor_draws.draws(trade)[0]
    assert row.status == "drawn" and len(supervisor_draws.serving(trade)) == 2  # the last reveal drew it
    (drawn,) = entries(db, "supervisors.draw", trade)
    expected = drawing.seed_material(
        trade_ref=trade.ref, round_no=1, fixed=row.fixed_entry_seq, candidates=row.candidates, count=2,
        beacon_size=row.checkpoint_size, beacon_root=row.checkpoint_root,
        contributions=[(hashlib.sha256(x).hexdigest(), x.hex()) for x in (A, B)])
    assert drawn["after"]["seed"] == hashlib.sha256(expected).hexdigest() == row.seed
    assert drawing.replay(drawn)["matches"]
    reveals = entries(db, "supervisors.draw_reveal", trade)
    assert len(reveals) == 2 and all(r["_seq"] >= row.checkpoint_size for r in reveals)  # after the beacon


def test_a_withheld_reveal_is_left_out_at_the_deadline(db, users, make_trade, registry, clock):  # noqa: F811
    from monitor.supervisors import rounds

    trade = fixed_trade(db, make_trade, users)
    rounds.commit(users["supervisor"], trade, 1, hashlib.sha256(A).hexdigest())
    db.session.commit()
    row = supervisor_draws.draws(trade)[0]
    clock.freeze(row.commit_until)
    run_ticks()
    db.session.refresh(row)
    clock.freeze(row.reveal_until - timedelta(seconds=1))
    run_ticks()
    assert supervisor_draws.draws(trade)[0].status == "sealed"
    clock.freeze(row.reveal_until)
    run_ticks()
    db.session.expire_all()
    (drawn,) = entries(db, "supervisors.draw", trade)
    assert drawn["after"]["contributions"] == [{"user": users["supervisor"].id,
                                                "commitment": hashlib.sha256(A).hexdigest(), "reveal": None}]
    assert drawing.replay(drawn)["matches"] and drawing.replay(drawn)["contributions"] == 0
    with pytest.raises(Exception) as exc:  # too late: the draw is made
        rounds.reveal(users["supervisor"], trade, 1, A.hex())
    assert getattr(exc.value, "code", None) == "not_revealing"
    db.session.rollback()


def test_recusals_walk_an_order_fixed_before_them(db, users, make_trade, registry, clock):  # noqa: F811
    """Whatever the log holds and whenever the recusals come, the replacements are the ones the order named
    when the round was drawn - before any recusal."""
    trade = publish(db, make_trade, users, "3000000.00")
    (row,) = supervisor_draws.draws(trade)
    predicted = list(row.order)  # known, and logged, before the first recusal
    (first,) = supervisor_draws.serving(trade)
    assert first.supervisor_id == predicted[0]
    for step in (1, 2, 3):
        # the log moves on in between (other work, checkpoints, time): none of it enters the replacement
        clock.advance(timedelta(hours=step))
        publish(db, make_trade, users, title=f"Other lot {step}")
        (current,) = supervisor_draws.serving(trade)
        supervisor_draws.recuse(users["decider"], trade, current.id, f"利害关系 {step}")
        db.session.commit()
        (now_serving,) = supervisor_draws.serving(trade)
        assert (now_serving.supervisor_id, now_serving.position) == (predicted[step], step)
    assert [r.round for r in supervisor_draws.draws(trade)] == [1]
    # the order exhausted: only then a new round, fixed now and drawn later (nobody is left to draw)
    (last,) = supervisor_draws.serving(trade)
    supervisor_draws.recuse(users["decider"], trade, last.id, "利害关系 4")
    db.session.commit()
    assert [(r.round, r.trigger, r.status) for r in supervisor_draws.draws(trade)] == [(1, "publish", "drawn"),
                                                                                       (2, "redraw", "fixed")]


def test_a_pick_no_longer_eligible_at_the_draw_steps_aside_at_once(db, users, make_trade, registry,
                                                                   clock):  # noqa: F811
    trade = fixed_trade(db, make_trade, users, "3000000.00")
    keep = registry["social4"]
    for name in ("social", "social2", "social3"):  # suspended after the round was fixed with them in it
        supervisors.change_status(users["decider"], registry[name], "suspend", "under review")
    db.session.commit()
    run_draw(db, trade)
    (row,) = supervisor_draws.draws(trade)
    assert len(row.candidates) == 4 and row.selected == row.order[:1]
    assert [d.supervisor_id for d in supervisor_draws.serving(trade)] == [keep.id]
    for d in supervisor_draws.drawn(trade):
        assert d.supervisor_id == keep.id or d.recusal_kind == "ineligible"
    for replacement in entries(db, "supervisors.replacement", trade):
        assert all(s["why"] == "registry status suspended" for s in replacement["after"]["skipped"])


# ---- races over a real HTTP server: 409 or success, never 500, and one draw ------------------------

@pytest.fixture
def server(app):
    import threading

    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()


def _race(port: int, calls: list[tuple[str, dict, dict]]) -> list[int]:
    """POST every call at once (a barrier releases them together); the status codes, in call order."""
    import http.client
    import json
    import threading

    barrier, out = threading.Barrier(len(calls)), [0] * len(calls)

    def post(i, path, body, headers):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        data = json.dumps(body).encode()
        barrier.wait()
        conn.request("POST", path, body=data, headers={**headers, "Content-Type": "application/json"})
        out[i] = conn.getresponse().status
        conn.close()

    threads = [threading.Thread(target=post, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_racing_commitments_and_reveals_never_fail_and_draw_once(db, client, server, users, make_trade, registry,
                                                                  clock):  # noqa: F811
    trade = fixed_trade(db, make_trade, users)
    url = f"/api/v1/trades/{trade.id}/supervision/draws/1"
    sup, social = api_headers(client, "supervisor"), api_headers(client, "social")
    twice = _race(server, [(f"{url}/commitments", {"commitment": hashlib.sha256(A).hexdigest()}, sup)] * 2)
    assert sorted(twice) == [201, 409], twice  # the same person twice: one stands
    assert client.post(f"{url}/commitments", json={"commitment": hashlib.sha256(B).hexdigest()},
                       headers=social).status_code == 201
    clock.freeze(supervisor_draws.pending(trade).commit_until)
    run_ticks()
    both = _race(server, [(f"{url}/reveals", {"reveal": A.hex()}, sup), (f"{url}/reveals", {"reveal": B.hex()}, social)])
    assert both == [201, 201], both
    db.session.expire_all()
    assert len(entries(db, "supervisors.draw", trade)) == 1 and len(supervisor_draws.serving(trade)) == 2


def test_the_supervision_page_shows_a_round_waiting_for_its_seed(db, client, users, make_trade, registry,
                                                                 clock):  # noqa: F811
    from tests.conftest import login

    trade = fixed_trade(db, make_trade, users)
    login(client, "supervisor")
    page = client.get(f"/monitor/trades/{trade.id}/supervision?lang=en").get_data(as_text=True)
    assert "fixed: commitments accepted until" in page and "No draw yet." not in page
    run_draw(db, trade)
    page = client.get(f"/monitor/trades/{trade.id}/supervision?lang=en").get_data(as_text=True)
    assert "replays identically" in page and "Replacements, in order" in page
