"""The live round over HTTP: the agreed shapes (board, start, confirm, bids: 201 / 200 replay / 409 / 422),
who may do what, and two bids for the same level at the same instant on a real threaded server: exactly
one takes it, the other is told at once that it was outbid, with the new price."""
from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from bidding.auctions.live import services as live
from bidding.auctions.live.models import LiveBid
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from tests.conftest import api_headers

LEAD = STARTING_PRICE + INCREMENT


def test_board_start_confirm_and_bid_shapes(db, quoted, land, client, clock):
    trade, regs = quoted
    base = f"/api/v1/trades/{trade.id}/auction"
    anonymous = client.get(base)
    assert anonymous.status_code == 200
    body = anonymous.get_json()
    assert body["state"] == "pending" and body["price"] == str(LEAD) and body["my_paddle"] is None
    staff = api_headers(client, "land_staff")
    b1, b2 = api_headers(client, "buyer1"), api_headers(client, "buyer2")
    assert client.post(f"{base}/start", headers=b1).status_code == 403
    assert client.post(f"{base}/start").status_code == 401
    started = client.post(f"{base}/start", headers=staff)
    assert started.status_code == 200 and started.get_json()["state"] == "confirming"
    assert client.post(f"{base}/start", headers=staff).get_json()["code"] == "round_started"
    mine = client.get(base, headers=b1).get_json()
    assert (mine["my_paddle"], mine["may_confirm"], mine["entered"]) == (regs["buyer1"].paddle, True, False)
    assert client.post(f"{base}/confirm", headers=b1).status_code == 201
    assert client.post(f"{base}/confirm", headers=b1).status_code == 200  # again: nothing new
    assert client.post(f"{base}/confirm", headers=api_headers(client, "buyer3")).status_code == 409
    assert client.post(f"{base}/confirm", headers=b2).status_code == 201
    board = client.get(base, headers=b1).get_json()
    assert board["state"] == "open" and board["may_bid"] is True
    assert board["next_minimum"] == str(LEAD + INCREMENT) and board["price_upper_zh"] == "壹仟零壹拾万元整"
    assert board["premium"] == str(INCREMENT) and board["premium_rate"] == "1.00"
    assert board["server_time"].startswith(clock.now().isoformat()[:19])

    ref = str(uuid.uuid4())
    amount = str(LEAD + INCREMENT)
    accepted = client.post(f"{base}/bids", headers=b1, json={"amount": amount, "client_ref": ref})
    assert accepted.status_code == 201
    answer = accepted.get_json()
    assert set(answer) == {"seq", "paddle", "amount", "client_ref", "received_at", "ends_at"}
    assert (answer["seq"], answer["paddle"], answer["amount"]) == (1, regs["buyer1"].paddle, amount)
    replay = client.post(f"{base}/bids", headers=b1, json={"amount": amount, "client_ref": ref})
    assert (replay.status_code, replay.get_json()) == (200, answer)
    outbid = client.post(f"{base}/bids", headers={**b2, "Accept-Language": "en"},
                         json={"amount": amount, "client_ref": str(uuid.uuid4())})
    assert outbid.status_code == 409
    refusal = outbid.get_json()
    assert refusal["code"] == "outbid" and refusal["price"] == amount  # that level was taken
    assert refusal["next_minimum"] == str(LEAD + 2 * INCREMENT) and "¥10,200,000.00" in refusal["message"]
    assert refusal["ends_at"] == answer["ends_at"]
    low = client.post(f"{base}/bids", headers={**b2, "Accept-Language": "en"},
                      json={"amount": str(LEAD), "client_ref": str(uuid.uuid4())}).get_json()
    assert low["code"] == "too_low" and "at least ¥10,300,000.00" in low["message"]
    for bad in ({"amount": "abc", "client_ref": "x"}, {"amount": amount}, {"amount": "-5", "client_ref": "x"},
                {"amount": amount, "client_ref": "x" * 65}, {"amount": amount, "client_ref": "x", "more": 1}):
        assert client.post(f"{base}/bids", headers=b2, json=bad).status_code == 422, bad
    assert client.post(f"{base}/bids", json={"amount": amount, "client_ref": "x"}).status_code == 401
    assert client.post(f"{base}/bids", headers=staff, json={"amount": amount, "client_ref": "x"}).status_code == 403
    public = client.get(base).get_json()
    assert [(b["seq"], b["paddle"], b["amount"]) for b in public["bids"]] == [(1, regs["buyer1"].paddle, amount)]
    assert public["leader_paddle"] == regs["buyer1"].paddle and public["my_paddle"] is None


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def three_in(db, listing, land, clock):
    """All three buyers quoted in the listing and entered the round: buyer3 leads at its quote."""
    from bidding.auctions import services as auctions
    from tests.bidding.auctions.conftest import LISTING_CLOSE

    trade, regs = listing
    for n, who in enumerate(("buyer1", "buyer2", "buyer3")):
        auctions.quote(land[who], trade, STARTING_PRICE + n * INCREMENT)
    db.session.commit()
    clock.freeze(LISTING_CLOSE)
    live.start_round(land["staff"], trade)
    for who in ("buyer1", "buyer2", "buyer3"):
        live.confirm(land[who], trade)
    db.session.commit()
    return trade, regs


def test_two_bids_for_one_level_at_the_same_instant_exactly_one_takes_it(db, three_in, land, client, server,
                                                                         clock):
    """Real threads on a real threaded server and one SQLite file: the two bidders not leading race for
    the next level, released together by a barrier, the frozen clock giving both the same arrival. Each
    time exactly one is accepted (201) and the other is refused at once as outbid with the new price."""
    trade, regs = three_in
    url = f"{server}/api/v1/trades/{trade.id}/auction/bids"
    heads = {who: api_headers(client, who) for who in ("buyer1", "buyer2", "buyer3")}
    price, leader = STARTING_PRICE + 2 * INCREMENT, "buyer3"
    for _level in range(6):
        racers = [w for w in heads if w != leader]
        amount = price + INCREMENT
        answers = _race(url, [(heads[w], w) for w in racers], amount)
        codes = sorted(status for status, _body in answers.values())
        assert codes == [201, 409], answers
        winner = next(w for w, (status, _b) in answers.items() if status == 201)
        loser = next(w for w in racers if w != winner)
        refusal = answers[loser][1]
        assert refusal["code"] == "outbid" and refusal["price"] == str(amount), refusal
        assert answers[winner][1]["paddle"] == regs[winner].paddle
        price, leader = amount, winner
    db.session.expire_all()
    bids = list(db.session.scalars(sa.select(LiveBid).where(LiveBid.trade_id == trade.id).order_by(LiveBid.id)))
    accepted = [b for b in bids if b.seq is not None]
    assert [b.seq for b in sorted(accepted, key=lambda b: b.seq)] == list(range(1, 7))
    assert len({b.amount for b in accepted}) == 6 and sum(b.refusal == "outbid" for b in bids) == 6
    rnd = live.round_of(trade)
    assert (rnd.accepted_count, rnd.price, rnd.leader_paddle) == (6, price, regs[leader].paddle)


def test_many_bidders_racing_never_double_accept_a_level(db, three_in, land, client, server, clock):
    """Each of the three fires bids as fast as it can, one level above the price it last heard: every
    accepted level is unique, contiguous and strictly rising; every request got an answer."""
    trade, _regs = three_in
    url = f"{server}/api/v1/trades/{trade.id}/auction/bids"
    heads = {who: api_headers(client, who) for who in ("buyer1", "buyer2", "buyer3")}
    board_url = f"{server}/api/v1/trades/{trade.id}/auction"
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(3)

    def bidder(headers):
        session = requests.Session()
        price = Decimal(session.get(board_url, timeout=30).json()["price"])
        barrier.wait()
        for _ in range(8):
            r = session.post(url, headers=headers, timeout=30,
                             json={"amount": str(price + INCREMENT), "client_ref": str(uuid.uuid4())})
            with lock:
                statuses.append(r.status_code)
            price = Decimal(r.json()["amount"] if r.status_code == 201 else r.json()["price"])

    threads = [threading.Thread(target=bidder, args=(h,)) for h in heads.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(statuses) == 24 and set(statuses) <= {201, 409}
    db.session.expire_all()
    accepted = list(db.session.scalars(sa.select(LiveBid).where(LiveBid.trade_id == trade.id,
                                                                LiveBid.seq.is_not(None)).order_by(LiveBid.seq)))
    assert [b.seq for b in accepted] == list(range(1, statuses.count(201) + 1))
    amounts = [b.amount for b in accepted]
    assert amounts == sorted(set(amounts)) and all(b - a == INCREMENT for a, b in zip(amounts, amounts[1:]))
    assert live.round_of(trade).accepted_count == len(accepted)


def _race(url: str, racers: list[tuple[dict, str]], amount: Decimal) -> dict:
    barrier = threading.Barrier(len(racers))
    answers = {}

    def send(headers, name):
        session = requests.Session()
        session.get(url.rsplit("/", 1)[0], timeout=30)  # connected before the start
        barrier.wait()
        r = session.post(url, headers=headers, json={"amount": str(amount), "client_ref": str(uuid.uuid4())},
                         timeout=30)
        answers[name] = (r.status_code, r.json())

    threads = [threading.Thread(target=send, args=racer) for racer in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers
