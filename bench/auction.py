"""Load test: the final minute of a live timed round (限时竞价) with 200 bidders bidding as fast as they can over
HTTP and 1,000 watchers on the price board's stream, against a bare bid endpoint in the same run.

    .venv/bin/python bench/auction.py [--bidders 200] [--watchers 1000] [--seconds 60] [--server flask]
    .venv/bin/python bench/auction.py --stand-in        # the harness against bench/bare_bid.py only

What it does, all on 127.0.0.1 and in a fresh temporary instance that is deleted afterwards:

1. builds the data in-process through the real services (schema by migrations, the LAND centre's staff,
   a land listing published 31 days ago whose listing closed a minute ago, with the terms' countdown
   `--countdown` seconds; N bidder companies, each registered, its deposit recorded with the paying
   account, qualified with a paddle, with one accepted listing quote and a bearer token);
2. starts the bare bid app (bench/bare_bid.py) and the platform with the same command line: gunicorn
   reading the repository's gunicorn.conf.py, nothing overridden (the production command), or with
   `--server flask` werkzeug's threaded server (`flask --app wsgi run`, what `make run` serves);
3. baseline: the N bidders bid against the bare endpoint for `--bare-seconds`;
4. the platform: `--watchers` anonymous clients connect to the trade's live stream (/live/trades/<id>,
   what the price board page listens to); the staff start the live round (POST .../auction/start), the N
   bidders enter it (POST .../auction/confirm: the round opens when all have), then bid for `--seconds`;
5. after the last bid, waits for the server's own closer to close the round (no tick: the instance runs no
   scheduler) and reports how long after `ends_at` that was; the keyholders release their shares of the
   sealed reserve and the supervisor opens it, the staff conclude the sale (bidding/auctions/deal: the deal
   row), exports the audit log (`monitor.audit.export`) and runs `python -m bidding.auctions.replay` on it.

A bidder bids in a loop on its own keep-alive connection, one request at a time: the next level (the
amount it was accepted at plus the increment, or the `next_minimum` of a refusal), each bid with a fresh
`client_ref` (UUID); a request that fails or times out is sent again with the same client_ref (up to 3
times: the stored answer comes back). While it leads it waits 50 ms and bids again (the platform refuses
it as `already_leading`, the bare app too). All bidders are non-blocking sockets in one selector thread (no
thread per bidder); the watchers are bench/sse.py's pool (another selector thread, HTTP/1.0); every answer
and every complete frame is timed on arrival.

Figures: bid acknowledgement p50/p99 (every bid request, accepted or refused, from send to the whole
answer) on the platform and on the bare endpoint, and their ratio; lost bids (told accepted, but the
audit log has no accepted bid with that client_ref, seq and amount) and double-accepted ones (a
client_ref or a seq accepted twice, or accepted by the log while its client was told refused or got no
answer); the watchers' delay from the accepted bid's audit entry (stamped in the bid's transaction,
before its commit) to the frame on the watcher's socket, p50/p99, and deliveries missing or repeated;
whether the replay of the export gives the round's final winner and price (and agrees with the deal, if
one was recorded). Exit status 0 when lost = double = missing = 0, the replay agrees, and both p99
targets are met (ack <= 100 ms, watchers <= 250 ms); 1 otherwise; 2 if the bench could not run.
"""
from __future__ import annotations

import argparse
import gc
import http.client
import json
import math
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sse import Watchers  # noqa: E402
from bench.submission import (HOST, PASSWORD, free_port, instance_env, make_app, say, start_gunicorn,  # noqa: E402
                              stop, wait_ready)

CLOSE_GRACE_SECONDS = 5.0  # bidding.auctions.live.services.CLOSE_GRACE_SECONDS, the served default
TARGET_ACK_P99_MS = 100.0
TARGET_WATCH_P99_MS = 250.0
STARTING_PRICE = Decimal("10000000.00")
INCREMENT = Decimal("100000.00")
DEPOSIT = Decimal("2000000.00")
RETRIES = 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bidders", type=int, default=200, help="bidder companies bidding at once (default 200)")
    p.add_argument("--watchers", type=int, default=1000, help="anonymous clients on the live stream (default 1000)")
    p.add_argument("--seconds", type=float, default=60.0, help="seconds of bidding on the platform (default 60)")
    p.add_argument("--bare-seconds", type=float, default=20.0, help="seconds of bidding on the bare app (default 20)")
    p.add_argument("--countdown", type=int, default=30,
                   help="the terms' countdown in seconds (30 to 3600, default 30: the bench waits it out at the end)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per bid request (default 30)")
    p.add_argument("--server", choices=("gunicorn", "flask"), default="gunicorn",
                   help="gunicorn with gunicorn.conf.py (default) or `flask run` (the server of `make run`)")
    p.add_argument("--stand-in", action="store_true",
                   help="bench/bare_bid.py in place of the live round (bids only: no watchers, no replay); "
                        "checks the harness itself")
    p.add_argument("--keep", action="store_true", help="keep the temporary instance, export and server logs")
    args = p.parse_args(argv)
    if not 1 <= args.bidders <= 1000:
        p.error("--bidders must be from 1 to 1000")
    if not 0 <= args.watchers <= 1000:
        p.error("--watchers must be from 0 to 1000 (LIVE_MAX_STREAMS)")
    if not 1 <= args.seconds <= 600 or not 1 <= args.bare_seconds <= 600:
        p.error("--seconds and --bare-seconds must be from 1 to 600")
    if not 30 <= args.countdown <= 3600:
        p.error("--countdown must be from 30 to 3600 seconds (the terms' rule)")
    if not 1 <= args.timeout <= 120:
        p.error("--timeout must be from 1 to 120 seconds")
    args.workers = args.threads = 0  # the shipped gunicorn.conf.py (bench.submission.start_gunicorn reads them)
    return args


# ---- the data ------------------------------------------------------------------------------------

@dataclass
class Setup:
    trade_id: int
    staff_token: str
    tokens: list[str]
    paddles: list[int]


def build_data(app, n: int, countdown: int) -> Setup:
    """A land listing whose listing closed a minute ago, N qualified bidders with a quote each. The clock is
    frozen in the past while the listing runs (its legal periods: 20 days' notice, 10 days' listing, O39
    Arts 8 and 18), then let go."""
    import flask_migrate
    import sqlalchemy as sa

    from bidding.auctions import services as auctions
    from bidding.deposits.services import record_deposit
    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role
    from trading.accounts.services import create_organisation, create_user, issue_token
    from trading.accounts.uscc import make_uscc
    from trading.centres.data import ensure_centres
    from trading.centres.models import Centre
    from trading.clock import clock, now
    from trading.errors import InvalidInput
    from trading.extensions import db
    from trading.trades import services as trades
    from trading.trades.flows import TradeState

    with app.app_context():
        flask_migrate.upgrade()
        ensure_centres()
        db.session.commit()
        land = db.session.scalar(sa.select(Centre).where(Centre.code == "LAND"))
        close = (now() - timedelta(minutes=1)).replace(microsecond=0)
        clock.freeze(close - timedelta(days=60))
        try:
            def person(username, role):
                return create_user(username, PASSWORD, username.replace("_", " ").title(), None,
                                   [(role, land.id)], email=f"{username}@bench.invalid")

            seller = create_organisation("Bench City Land Reserve Centre", OrgKind.TENDERER,
                                         make_uscc("91330100MB0000011"))
            staff, decider = person("bench_land_staff", Role.CENTRE_STAFF), person("bench_land_decider",
                                                                                   Role.DECISION_MAKER)
            db.session.commit()
            # a period whose last day is a holiday ends on the next working day: go back until both fit
            for listing_days, notice_days in ((11, 21), (14, 25), (21, 30), (30, 40)):
                listing_from = close - timedelta(days=listing_days)
                issue = listing_from - timedelta(days=notice_days)
                try:
                    trade = trades.create_trade(staff, {
                        "centre_id": land.id, "method": "land_listing", "tenderer_id": seller.id,
                        "title": "Bench: plot B-12 land use rights, live round", "description": "load test data",
                        "estimated_price": STARTING_PRICE, "bid_security": DEPOSIT, "issue_at": issue,
                        "listing_from": listing_from, "bid_deadline": close})
                    break
                except InvalidInput:
                    db.session.rollback()
            else:
                raise RuntimeError("no listing period fits the calendar before now")
            clock.freeze(issue - timedelta(hours=2))
            auctions.set_terms(staff, trade, INCREMENT, countdown_seconds=countdown)
            # a land listing's reserve is sealed to an opening key made at approval (O39 Art 10): its keyholders
            # (two clerks, a supervisor) enrol their personal keys and are appointed first
            from bidding.keyholders import client as holder_side, services as keyholding

            holders = (staff, person("bench_land_staff2", Role.CENTRE_STAFF),
                       person("bench_land_supervisor", Role.ADMIN_SUPERVISOR))
            for holder in holders:
                made = holder_side.enrol(KEYHOLDER_PASSPHRASE, app.config["PERSONAL_KEY_ITERATIONS"])
                keyholding.enrol_personal_key(holder, made.public_key, made.wrapped_key)
            keyholding.appoint_keyholders(decider, trade, [holders[0].id, holders[1].id], [holders[2].id])
            for move, who in (("submit", staff), ("approve", decider), ("publish", staff)):
                trades.move(trade, move, who)
            db.session.commit()
            seal_bench_reserve(decider, trade)  # before the listing closes, as tests/bidding/auctions/reserve do
            db.session.commit()
            clock.freeze(issue + timedelta(hours=1))
            users, regs = [], []
            for i in range(1, n + 1):
                org = create_organisation(f"Bench Bidder {i:04d} Property Co.", OrgKind.BIDDER,
                                          make_uscc(f"91330100MA{i:07d}"))
                user = create_user(f"bench_bidder_{i:04d}", PASSWORD, f"Bench Bidder {i}", org,
                                   [(Role.BIDDER, None)], email=f"bidder{i}@bench.invalid")
                reg = auctions.register(user, trade)
                deposit = record_deposit(staff, trade, org.id, DEPOSIT, payer_account=f"6222 0000 {i:08d}")
                auctions.qualify(staff, reg, deposit)
                users.append(user)
                regs.append(reg)
            db.session.commit()
            clock.freeze(listing_from + timedelta(hours=1))
            trades.advance_due()
            if trade.state is not TradeState.LISTING:
                raise RuntimeError(f"the trade is {trade.state.value}, not listing")
            for i, user in enumerate(users):  # one accepted quote each: all may enter the live round
                auctions.quote(user, trade, STARTING_PRICE + i * INCREMENT)
            db.session.commit()
        finally:
            clock.unfreeze()
        tokens = [issue_token(u)[0] for u in users]
        staff_token = issue_token(staff)[0]
        db.session.commit()
        setup = Setup(trade.id, staff_token, tokens, [r.paddle for r in regs])
        db.session.remove()
        db.engine.dispose()  # no connection of ours stays open while the server runs
    return setup


KEYHOLDER_PASSPHRASE = "bench keyholder passphrase"
#: the sealed reserve: the starting price, so the live round's best bid makes a deal
RESERVE = STARTING_PRICE


def seal_bench_reserve(decider, trade) -> None:
    """The decision branch seals the reserve to the trade's opening key (what the decider's browser or
    `python -m bidding.seal` makes: the reserve form, bidder field RESERVE, its number as version)."""
    import io

    from bidding.auctions.reserve import services as reserve
    from bidding.crypto import envelope
    from bidding.crypto.envelope_check import content_digest
    from bidding.crypto.records import encode_bid
    from bidding.keyholders.services import opening_key

    out = io.BytesIO()
    envelope.seal(encode_bid({"price": f"{RESERVE:.2f}", "trade": trade.ref}),
                  public_key=envelope.load_public_key(opening_key(trade).public_key.hex()), trade_ref=trade.ref,
                  bidder_id=reserve.RESERVE_BIDDER, version=reserve.next_seq(trade), out=out)
    data = out.getvalue()
    reserve.seal_reserve(decider, trade, data, content_digest(data))


def open_bench_reserve(trade) -> None:
    """After the round's close: the three keyholders' machines release their shares, the supervisor opens."""
    import sqlalchemy as sa

    from bidding.auctions.reserve import opening
    from bidding.keyholders import client as holder_side
    from trading.accounts.models import User
    from trading.extensions import db

    def user(name):
        return db.session.scalar(sa.select(User).where(User.username == name))

    for name in ("bench_land_staff", "bench_land_staff2", "bench_land_supervisor"):
        holder = user(name)
        material = opening.reserve_share_for(holder, trade)
        share = holder_side.release(bytes.fromhex(material["wrapped_key"]), KEYHOLDER_PASSPHRASE,
                                    bytes.fromhex(material["sealed_share"]), material["context"].encode())
        opening.release_reserve_share(holder, trade, share)
        db.session.commit()
    opening.open_reserve(user("bench_land_supervisor"), trade)
    db.session.commit()


# ---- the bidders ---------------------------------------------------------------------------------

@dataclass
class Bid:
    bidder: int
    client_ref: str
    amount: Decimal
    status: int  # the final answer's status; 0: no answer after the retries
    body: dict
    ms: list[float]  # each attempt's time, from send to the whole answer


class _Client:
    """One bidder in the load loop: its keep-alive socket, the bid in flight and its attempts."""

    __slots__ = ("i", "token", "sock", "buf", "amount", "ref", "request", "times", "t0", "wake", "state")

    def __init__(self, i: int, token: str, amount: Decimal) -> None:
        self.i, self.token, self.amount = i, token, amount
        self.sock: socket.socket | None = None
        self.buf = b""
        self.ref = ""
        self.request = b""
        self.times: list[float] = []
        self.t0 = 0.0
        self.wake = 0.0
        self.state = "idle"  # "flight" (sent, waiting for the answer), "sleep" (until `wake`), "done"


class Bidders:
    """N bidders, each bidding the next level on its own keep-alive connection, one request at a time, as fast
    as the answers come, until `until`. The N are non-blocking sockets served by ONE selector thread of the
    bench, not a thread each: 200 client threads taking turns at the GIL on the same 2 cores as the server
    timed themselves as much as the server. Each answer is timed from its send to its last byte."""

    def __init__(self, port: int, path: str, tokens: list[str], start: Decimal, timeout: float) -> None:
        self.port, self.path, self.tokens, self.timeout = port, path, tokens, timeout
        self.start = start
        self.bids: list[list[Bid]] = [[] for _ in tokens]
        self.head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
                     "Authorization: Bearer ")
        self.sel = selectors.DefaultSelector()
        self.until = 0.0

    def _new_bid(self, c: _Client) -> None:
        c.ref = uuid.uuid4().hex
        body = json.dumps({"amount": f"{c.amount:.2f}", "client_ref": c.ref}).encode()
        c.request = f"{self.head}{c.token}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
        c.times = []

    def _connect(self, c: _Client) -> None:
        c.sock = socket.create_connection((HOST, self.port), timeout=self.timeout)
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.sock.setblocking(False)
        self.sel.register(c.sock, selectors.EVENT_READ, c)

    def _drop(self, c: _Client) -> None:
        if c.sock is not None:
            self.sel.unregister(c.sock)
            c.sock.close()
            c.sock = None

    def _send(self, c: _Client) -> None:
        c.buf, c.state, c.t0 = b"", "flight", time.perf_counter()
        try:
            if c.sock is None:
                self._connect(c)
            c.sock.sendall(c.request)  # a few hundred bytes into an empty buffer: does not block
        except OSError:
            self._drop(c)
            self._answered(c, 0, {}, (time.perf_counter() - c.t0) * 1000)

    def _read(self, c: _Client) -> None:
        try:
            data = c.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(c)
            if c.state == "flight":
                self._answered(c, 0, {}, (time.perf_counter() - c.t0) * 1000)
            return
        c.buf += data
        end = c.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = c.buf[:end].decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _s, v in (h.partition(":") for h in head[1:])}
        length = int(fields.get("content-length", "0"))
        if len(c.buf) < end + 4 + length:
            return
        ms = (time.perf_counter() - c.t0) * 1000
        raw = c.buf[end + 4:end + 4 + length]
        if fields.get("connection", "").lower() == "close":
            self._drop(c)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"raw": raw[:200].decode(errors="replace")}
        self._answered(c, int(head[0].split(" ", 2)[1]), body, ms)

    def _answered(self, c: _Client, status: int, body: dict, ms: float) -> None:
        c.times.append(ms)
        if not status and len(c.times) < RETRIES:
            self._send(c)  # the same client_ref again: the stored answer comes back
            return
        self.bids[c.i].append(Bid(c.i, c.ref, c.amount, status, body, c.times))
        now_ = time.monotonic()
        wake = now_
        if status in (200, 201):
            c.amount += INCREMENT
            wake = now_ + 0.05  # leading: the next bid is refused until someone outbids this one
        elif status == 409:
            code = body.get("code")
            if code in ("round_over", "not_open", "not_entrant"):
                c.state = "done"
                return
            if code == "already_leading":
                wake = now_ + 0.05
            if body.get("next_minimum"):
                c.amount = Decimal(body["next_minimum"])
        else:
            wake = now_ + 0.05
        if now_ >= self.until:
            c.state = "done"
            return
        self._new_bid(c)
        if wake > now_:
            c.state, c.wake = "sleep", wake
        else:
            self._send(c)

    def run(self, seconds: float) -> float:
        """All bidders connect, start together half a second later and bid for `seconds`; returns the span."""
        clients = [_Client(i, tok, self.start + INCREMENT) for i, tok in enumerate(self.tokens)]
        for c in clients:
            self._connect(c)
            self._new_bid(c)
        time.sleep(0.5)
        t0 = time.monotonic()
        self.until = t0 + seconds
        checked = t0
        gc.disable()  # no collection pauses in the timed loop
        try:
            for c in clients:
                self._send(c)
            while True:
                now_ = time.monotonic()
                sleepers = [c for c in clients if c.state == "sleep"]
                for c in sleepers:
                    if c.wake <= now_:
                        if now_ < self.until:
                            self._send(c)
                        else:
                            c.state = "done"
                if now_ - checked > 0.1:  # time-outs: an attempt without an answer, sent again
                    checked = now_
                    late = time.perf_counter() - self.timeout
                    for c in clients:
                        if c.state == "flight" and c.t0 < late:
                            self._drop(c)
                            self._answered(c, 0, {}, self.timeout * 1000)
                if not any(c.state in ("flight", "sleep") for c in clients):
                    break
                wait = min((c.wake for c in clients if c.state == "sleep"), default=now_ + 0.1) - now_
                for key, _mask in self.sel.select(max(0.0, min(wait, 0.1))):
                    self._read(key.data)
        finally:
            gc.enable()
            for c in clients:
                self._drop(c)
        return time.monotonic() - t0

    def all(self) -> list[Bid]:
        return [b for bids in self.bids for b in bids]


def q(values: list[float], quantile: float) -> float:
    values = sorted(values)
    return values[max(0, math.ceil(quantile * len(values)) - 1)] if values else float("nan")


# ---- the watchers (bench/sse.py) ---------------------------------------------------------------

def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# ---- HTTP helpers --------------------------------------------------------------------------------

def call(port: int, method: str, path: str, token: str | None = None, timeout: float = 60.0) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {token}"} if token else {})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else {})
    finally:
        conn.close()


def open_round(port: int, setup: Setup) -> dict:
    """The staff start the round; every bidder confirms (in parallel); the round is open when all have."""
    base = f"/api/v1/trades/{setup.trade_id}/auction"
    status, body = call(port, "POST", f"{base}/start", setup.staff_token)
    if status != 200:
        raise RuntimeError(f"start answered {status}: {body}")
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda tok: call(port, "POST", f"{base}/confirm", tok), setup.tokens))
    bad = [a for a in answers if a[0] not in (200, 201)]
    if bad:
        raise RuntimeError(f"{len(bad)} confirmations refused, e.g. {bad[0]}")
    status, board = call(port, "GET", base, setup.staff_token)
    if board.get("state") != "open":
        raise RuntimeError(f"the round is {board.get('state')!r} after every bidder confirmed")
    return board


# ---- checks --------------------------------------------------------------------------------------

@dataclass
class Ledger:
    """What the clients were told against what the server's log holds."""

    told_accepted: int = 0
    logged_accepted: int = 0
    lost: list[str] = field(default_factory=list)
    double: list[str] = field(default_factory=list)
    no_answer: int = 0
    seq_problems: list[str] = field(default_factory=list)


def reconcile(bids: list[Bid], logged: list[dict]) -> Ledger:
    """`logged`: the accepted bids of the server's log, each {client_ref, seq, amount}."""
    ledger = Ledger(logged_accepted=len(logged))
    by_ref: dict[str, list[dict]] = {}
    for row in logged:
        by_ref.setdefault(row["client_ref"], []).append(row)
    told = {b.client_ref: b for b in bids}
    for b in bids:
        rows = by_ref.get(b.client_ref, [])
        if b.status in (200, 201):
            ledger.told_accepted += 1
            if not any(int(r["seq"]) == int(b.body.get("seq", -1)) and Decimal(str(r["amount"])) == b.amount
                       for r in rows):
                ledger.lost.append(f"{b.client_ref}: told seq {b.body.get('seq')} at {b.amount}, log {rows}")
        elif b.status == 0:
            ledger.no_answer += 1
    for ref, rows in by_ref.items():
        if len(rows) > 1:
            ledger.double.append(f"{ref}: accepted {len(rows)} times")
        bid = told.get(ref)
        if bid is None:
            ledger.double.append(f"{ref}: accepted by the log, never sent by a client")
        elif bid.status == 409:
            ledger.double.append(f"{ref}: accepted by the log, its client told {bid.body.get('code')}")
        elif bid.status == 0:
            ledger.double.append(f"{ref}: accepted by the log, its client got no answer")
    seqs = Counter(int(r["seq"]) for r in logged)
    ledger.double += [f"seq {s} accepted {c} times" for s, c in seqs.items() if c > 1]
    ordered = sorted(logged, key=lambda r: int(r["seq"]))
    if [int(r["seq"]) for r in ordered] != list(range(1, len(ordered) + 1)):
        ledger.seq_problems.append("the accepted seqs are not 1..N")
    for a, b in zip(ordered, ordered[1:]):
        if Decimal(str(b["amount"])) <= Decimal(str(a["amount"])):
            ledger.seq_problems.append(f"seq {b['seq']} ({b['amount']}) does not beat seq {a['seq']} ({a['amount']})")
    return ledger


def logged_bids(export_dir: Path, trade_id: int) -> list[dict]:
    """The accepted live bids of the trade in the exported audit log (the server's own record)."""
    rows = {}
    with (export_dir / "entries.jsonl").open("rb") as fh:
        for line in fh:
            if b"auction_live_bids." not in line:
                continue
            e = json.loads(line)
            if e.get("trade") != trade_id:
                continue
            key = json.dumps(e["object"]["id"])
            if e["action"].endswith(".insert"):
                rows[key] = dict(e["after"] or {})
            elif e["action"].endswith(".update"):
                rows.setdefault(key, {}).update(e["after"] or {})
    return [r for r in rows.values() if r.get("seq") is not None]


def bare_bids(db_path: Path) -> list[dict]:
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        return [{"client_ref": ref, "seq": seq, "amount": amount} for ref, seq, amount in
                conn.execute("SELECT client_ref, seq, amount FROM bids WHERE seq IS NOT NULL")]
    finally:
        conn.close()


def watch_delays(watchers: Watchers, accepted_indexes: set[int]) -> tuple[list[float], int, int]:
    """Delays (ms) from each accepted bid's entry time to its frame's arrival, per watcher; missing; repeated."""
    delays, missing, repeated = [], 0, 0
    for w in watchers.watchers:
        seen = Counter(i for i, _d, _a in w.frames)
        repeated += sum(c - 1 for c in seen.values())
        missing += len(accepted_indexes - set(seen))
        first = {}
        for i, data, at in w.frames:
            first.setdefault(i, (data, at))
        for i, (data, at) in first.items():
            delays.append((at - _ts(json.loads(data)["at"])) * 1000)
    return delays, missing, repeated


def close_and_export(app, trade_id: int, out: Path) -> float:
    """Waits for the platform's own closer to close the round (no tick: the bench's instance runs no
    scheduler), opens the sealed reserve, the land clerk concludes the sale (the deal row the replay compares
    with), then the audit export. Returns the close's delay: closed_at - ends_at, in seconds."""
    import sqlalchemy as sa

    from bidding.auctions.deal.conclusion import conclude
    from bidding.auctions.live.services import round_of
    from monitor.audit.export import export
    from trading.accounts.models import User
    from trading.extensions import db
    from trading.trades.models import Trade

    with app.app_context():
        trade = db.session.get(Trade, trade_id)
        end = time.monotonic() + 60
        while True:  # the server's closer closes the round once the countdown and the close grace have run out
            rnd = round_of(trade)
            if rnd.state.value == "closed":
                break
            db.session.rollback()
            if time.monotonic() > end:
                raise RuntimeError("the round did not close within 60 s of the countdown's end")
            time.sleep(0.1)
        delay = (rnd.closed_at - rnd.ends_at).total_seconds()
        open_bench_reserve(trade)
        staff = db.session.scalar(sa.select(User).where(User.username == "bench_land_staff"))
        conclude(staff, trade)
        db.session.commit()
        export(out)
        db.session.remove()
        db.engine.dispose()
    return delay


def replay(out: Path, trade_id: int) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "bidding.auctions.replay", str(out), "--trade", str(trade_id)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    return done.returncode, (done.stdout + done.stderr).strip()


def scan_log(log: Path) -> str:
    text = log.read_text(errors="replace")
    found = [f"{n}: {text.count(n)}" for n in ("Traceback", "database is locked", "OperationalError",
                                               "WORKER TIMEOUT") if n in text]
    return ", ".join(found) or "clean"


def line(label: str, value) -> None:
    print(f"{label:<38} {value}", flush=True)


# ---- main ----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-auction-"))
    servers, watchers = [], None
    wall = time.monotonic()
    try:
        env = instance_env(tmp)
        say(f"setting up {args.bidders} bidders in {tmp} ...")
        app = make_app()
        setup = build_data(app, args.bidders, args.countdown)
        bare_db = tmp / "bare-bids.sqlite"
        bare = start_gunicorn("bare", "bench.bare_bid:app", {"BARE_BID_DB": str(bare_db),
                                                              "BARE_BID_START": str(STARTING_PRICE),
                                                              "BARE_BID_INCREMENT": str(INCREMENT)},
                              args, tmp / "server-bare.log")
        servers.append(bare)
        wait_ready(bare, "/")
        say(f"bare: {args.bidders} bidders for {args.bare_seconds:.0f} s ...")
        base = Bidders(bare.port, "/bids", setup.tokens, STARTING_PRICE - INCREMENT, args.timeout)
        base.run(args.bare_seconds)
        base_ledger = reconcile(base.all(), bare_bids(bare_db))
        stop(bare)
        servers.remove(bare)

        if args.stand_in:
            target_db = tmp / "stand-in-bids.sqlite"
            platform = start_gunicorn("stand-in", "bench.bare_bid:app", {"BARE_BID_DB": str(target_db)}, args,
                                      tmp / "server-platform.log")
            servers.append(platform)
            wait_ready(platform, "/")
            path, start_price = "/bids", STARTING_PRICE - INCREMENT
        else:
            platform = start_gunicorn("platform", "wsgi:app", env, args, tmp / "server-platform.log")
            servers.append(platform)
            wait_ready(platform, "/api/v1/centres", 60)
            if args.watchers:
                watchers = Watchers(platform.port, f"/live/trades/{setup.trade_id}", args.watchers,
                                    keep=lambda data: b"auction_live_bids.insert" in data, name="watchers")
                end = time.monotonic() + 120
                while watchers.ready() < args.watchers:
                    if time.monotonic() > end:
                        raise RuntimeError(f"only {watchers.ready()} of {args.watchers} watchers connected")
                    time.sleep(0.05)
                say(f"{args.watchers} watchers connected")
            board = open_round(platform.port, setup)
            path, start_price = f"/api/v1/trades/{setup.trade_id}/auction/bids", Decimal(board["price"])
        say(f"platform: {args.bidders} bidders for {args.seconds:.0f} s ...")
        load = Bidders(platform.port, path, setup.tokens, start_price, args.timeout)
        took = load.run(args.seconds)

        if args.stand_in:
            ledger, verdict = reconcile(load.all(), bare_bids(target_db)), "not run (--stand-in)"
            delays, missing, repeated, final = [], 0, 0, None
        else:
            status, board = call(platform.port, "GET", f"/api/v1/trades/{setup.trade_id}/auction", setup.staff_token)
            ends = _ts(board["ends_at"]) if board.get("ends_at") else time.time()
            wait = max(0.0, ends - time.time()) + 3.0
            say(f"waiting {wait:.0f} s for the countdown to run out ...")
            time.sleep(wait)
            time.sleep(1.0)  # the watchers' last frames
            out = tmp / "export"
            close_delay = close_and_export(app, setup.trade_id, out)
            status, final = call(platform.port, "GET", f"/api/v1/trades/{setup.trade_id}/auction", setup.staff_token)
            logged = logged_bids(out, setup.trade_id)
            ledger = reconcile(load.all(), logged)
            delays, missing, repeated = [], 0, 0
            if watchers is not None:
                indexes = set()
                with (out / "entries.jsonl").open("rb") as fh:
                    for raw in fh:
                        if b"auction_live_bids.insert" in raw:
                            e = json.loads(raw)
                            if e.get("trade") == setup.trade_id and (e.get("after") or {}).get("seq") is not None:
                                indexes.add(e["index"])
                delays, missing, repeated = watch_delays(watchers, indexes)
            code, text = replay(out, setup.trade_id)
            replayed = next((ln for ln in text.splitlines() if "replay: paddle" in ln), "")
            recorded = next((ln.strip() for ln in text.splitlines() if "recorded deal:" in ln), "no deal line")
            expect = f"replay: paddle {final.get('leader_paddle')} at {Decimal(final['price']):,.2f}"
            same = expect in replayed
            verdict = ("same winner and price" if same and code == 0 else "DIFFERENT") + \
                f" (board: paddle {final.get('leader_paddle')} at {final['price']}, {final.get('state')}; " \
                f"{replayed.strip()}; {recorded}; replay exit {code})"
        problems = scan_log(platform.log)
    except Exception:
        traceback.print_exc()
        say(f"the bench could not run; instance kept in {tmp}")
        for s in servers:
            stop(s)
        if watchers is not None:
            watchers.close()
        return 2
    finally:
        if watchers is not None:
            watchers.close()
        for s in servers:
            stop(s)

    bids, base_bids = load.all(), base.all()
    ack = [b.ms[-1] for b in bids if b.status]
    base_ack = [b.ms[-1] for b in base_bids if b.status]
    statuses = Counter(b.status for b in bids)
    codes = Counter(b.body.get("code") for b in bids if b.status == 409)
    ratio = q(ack, 0.99) / q(base_ack, 0.99) if base_ack and q(base_ack, 0.99) > 0 else float("nan")
    lost, double = len(ledger.lost), len(ledger.double) + len(ledger.seq_problems)
    server = "flask --app wsgi run (make run's server)" if args.server == "flask" else \
        "gunicorn wsgi:app with gunicorn.conf.py, nothing overridden"
    line("bidders / watchers", f"{args.bidders} / {0 if args.stand_in else args.watchers}  ({server}"
                               f"{'; STAND-IN: bench/bare_bid.py in place of the live round' if args.stand_in else ''})")
    line("bids sent (platform)", f"{len(bids)} in {took:.1f} s ({len(bids) / took:.0f}/s): "
                                 f"{statuses.get(201, 0)} accepted, {statuses.get(409, 0)} refused "
                                 f"{dict(codes.most_common())}, {statuses.get(0, 0)} no answer"
                                 + "".join(f", {n} HTTP {s}" for s, n in statuses.items() if s not in (0, 201, 409)))
    line("bids sent (bare)", f"{len(base_bids)} in {args.bare_seconds:.0f} s: {base_ledger.told_accepted} accepted")
    line("platform ack p50 / p99 ms", f"{q(ack, 0.5):.1f} / {q(ack, 0.99):.1f}  (target p99 <= {TARGET_ACK_P99_MS:.0f})")
    line("bare ack p50 / p99 ms", f"{q(base_ack, 0.5):.1f} / {q(base_ack, 0.99):.1f}")
    line("ratio ack p99 platform/bare", f"{ratio:.2f}")
    line("lost bids", f"{lost}  (told accepted {ledger.told_accepted}, accepted in the log {ledger.logged_accepted})")
    line("double-accepted bids", f"{double}  (bare: lost {len(base_ledger.lost)}, double {len(base_ledger.double)})")
    for text in (ledger.lost + ledger.double + ledger.seq_problems)[:10]:
        line("  ", text)
    if not args.stand_in:
        line("watcher deliveries", f"{len(delays)} ({missing} missing, {repeated} repeated)")
        line("watcher p50 / p99 ms", f"{q(delays, 0.5):.1f} / {q(delays, 0.99):.1f}  (from the accepted bid's "
                                     f"audit entry; target p99 <= {TARGET_WATCH_P99_MS:.0f})")
    if not args.stand_in:
        line("round closed after ends_at s", f"{close_delay:.2f}  (the close grace is "
                                             f"{CLOSE_GRACE_SECONDS:.0f} s; by the server's own closer, no tick)")
    line("replay of the exported log", verdict)
    line("server log", problems)
    line("bench wall time s", f"{time.monotonic() - wall:.1f}")
    ok = (lost == 0 and double == 0 and missing == 0 and repeated == 0 and q(ack, 0.99) <= TARGET_ACK_P99_MS
          and (args.stand_in or (verdict.startswith("same") and q(delays, 0.99) <= TARGET_WATCH_P99_MS)))
    print(f"lost={lost} double={double} ack_p99_ms={q(ack, 0.99):.1f} bare_ack_p99_ms={q(base_ack, 0.99):.1f} "
          f"ratio={ratio:.2f} watch_p99_ms={q(delays, 0.99):.1f} missing={missing} "
          f"replay={'n/a' if args.stand_in else verdict.split(' (')[0]}")
    if args.keep:
        say(f"kept: {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
