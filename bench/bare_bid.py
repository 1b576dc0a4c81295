"""A bare bid endpoint: the baseline `bench/auction.py` compares the live round's bid API with.

It does what any endpoint taking bids for the next level must do and nothing more: parse the JSON body,
take a lock, judge the amount against the current price and the increment, store the bid (client_ref
unique, so a retry gets the stored answer) in SQLite with a commit (WAL, `synchronous=FULL`: the answer
means stored), and answer 201 (accepted) or 409 (refused, with the price and the next level) in JSON.
No framework, no authentication, no ORM, no audit log, no countdown.

    gunicorn -b 127.0.0.1:PORT bench.bare_bid:app      (the repository's gunicorn.conf.py)

BARE_BID_DB is the SQLite file (default: a temporary one), BARE_BID_START and BARE_BID_INCREMENT the
starting price and the increment (yuan, default 10000000.00 and 100000.00). `GET` answers the price.
"""
from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
from decimal import Decimal, InvalidOperation

DB = os.environ.get("BARE_BID_DB") or os.path.join(tempfile.mkdtemp(prefix="bare-bid-"), "bids.sqlite")
START = Decimal(os.environ.get("BARE_BID_START", "10000000.00"))
INCREMENT = Decimal(os.environ.get("BARE_BID_INCREMENT", "100000.00"))

_lock = threading.Lock()
_conn = sqlite3.connect(DB, check_same_thread=False, isolation_level=None)
_conn.execute("PRAGMA journal_mode=WAL")
_conn.execute("PRAGMA synchronous=FULL")
_conn.execute("CREATE TABLE IF NOT EXISTS bids (id INTEGER PRIMARY KEY, bidder TEXT NOT NULL, client_ref TEXT NOT NULL,"
              " amount TEXT NOT NULL, seq INTEGER UNIQUE, refusal TEXT, UNIQUE (bidder, client_ref))")
_state = {"price": START, "leader": None, "count": 0}


def _answer(start_response, status: str, payload: dict) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _next(price: Decimal, leader) -> Decimal:
    return price if leader is None else price + INCREMENT


def app(environ, start_response):
    if environ.get("REQUEST_METHOD") != "POST":
        with _lock:
            return _answer(start_response, "200 OK", {"price": str(_state["price"]), "count": _state["count"]})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        data = json.loads(environ["wsgi.input"].read(length))
        amount = Decimal(str(data["amount"]))
        ref = str(data["client_ref"])
    except (ValueError, KeyError, TypeError, InvalidOperation):
        return _answer(start_response, "422 Unprocessable Entity", {"errors": {"amount": ["bad"]}})
    bidder = environ.get("HTTP_AUTHORIZATION", "")
    with _lock:
        row = _conn.execute("SELECT seq, refusal, amount FROM bids WHERE bidder = ? AND client_ref = ?",
                            (bidder, ref)).fetchone()
        if row is not None:  # a retry: the stored answer
            seq, refusal, stored = row
            if refusal is None:
                return _answer(start_response, "200 OK", {"seq": seq, "amount": stored, "client_ref": ref})
            return _answer(start_response, "409 Conflict", {"code": refusal, "price": str(_state["price"]),
                                                            "next_minimum": str(_next(_state["price"],
                                                                                      _state["leader"]))})
        minimum = _next(_state["price"], _state["leader"])
        if _state["leader"] == bidder:
            refusal = "already_leading"
        elif amount < minimum:
            refusal = "outbid"
        elif (amount - _state["price"]) % INCREMENT:
            refusal = "not_increment"
        else:
            refusal = None
        seq = None if refusal else _state["count"] + 1
        _conn.execute("INSERT INTO bids (bidder, client_ref, amount, seq, refusal) VALUES (?, ?, ?, ?, ?)",
                      (bidder, ref, str(amount), seq, refusal))  # autocommit: durable before the answer
        if refusal is None:
            _state.update(price=amount, leader=bidder, count=seq)
            return _answer(start_response, "201 Created", {"seq": seq, "amount": str(amount), "client_ref": ref})
        price = _state["price"]
        return _answer(start_response, "409 Conflict", {"code": refusal, "price": str(price),
                                                        "next_minimum": str(_next(price, _state["leader"]))})
