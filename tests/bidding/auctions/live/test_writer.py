"""The live round's writer when a group fails: one bid's fault is that bid's alone. The group is rolled back and
its bids are stored again one at a time, in their order, each judged against the round as the ones before it left
it: the others are stored, answered and audited as ever (each entry naming its own bidder), only the faulty bid's
request gets the error. The bids reach the writer as plain values (a Caller), never the request's User row.

Real HTTP (a threaded server), one SQLite file, the process's real writer thread. The group is formed without
sleeps: the writer is held inside the commit of a first bid (an engine event in its thread) while the next bids
are sent one by one, each waited for on the writer's own condition until it is queued, so the group and its
order are known; then the writer is let go.
"""
from __future__ import annotations

import json
import threading
import uuid
from decimal import Decimal

import pytest
import requests
import sqlalchemy as sa

from bidding.auctions.live import services as live
from bidding.auctions.live import writer
from bidding.auctions.live.models import LiveBid
from bidding.auctions.models import Registration
from monitor.audit.entries import pseudonym
from monitor.audit.models import AuditEntry
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from tests.bidding.auctions.live.test_api import server, three_in  # noqa: F401  (fixtures)
from tests.conftest import api_headers
from trading.accounts.models import Caller

WAIT = 20.0  # a bound for what happens at once on an idle machine, never a pause
PRICE = STARTING_PRICE + 2 * INCREMENT  # buyer3 leads the round at its listing quote


class Held:
    """The writer's first commit held until the test has queued a group behind it."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.held, self.release = threading.Event(), threading.Event()
        self.commits = 0

    def __enter__(self):
        sa.event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc):
        self.release.set()
        sa.event.remove(self.engine, "commit", self._commit)

    def _commit(self, _conn) -> None:
        if threading.current_thread().name != "live-bid-writer":
            return  # a request's own commit (its reads)
        self.commits += 1
        if self.commits == 1:
            self.held.set()
            assert self.release.wait(WAIT)


class Bids:
    """Bids sent over HTTP, each on its own thread; `send` returns once the writer has the bid queued."""

    def __init__(self, app, url: str, heads: dict) -> None:
        self.the_writer = writer._writer(app)
        self.url, self.heads = url, heads
        self.sent: list[tuple[str, str, Decimal]] = []  # (who, client_ref, amount), in the writer's order
        self.answers: dict[str, tuple[int, dict | None]] = {}
        self.threads: list[threading.Thread] = []

    def send(self, who: str, amount: Decimal, queued: int | None) -> str:
        ref = str(uuid.uuid4())
        self.sent.append((who, ref, amount))

        def post():
            r = requests.post(self.url, headers=self.heads[who], json={"amount": str(amount), "client_ref": ref},
                              timeout=WAIT)
            self.answers[ref] = (r.status_code, r.json() if r.status_code != 500 else None)

        self.threads.append(threading.Thread(target=post))
        self.threads[-1].start()
        if queued is not None:  # the writer is held: wait on its condition (notified by each bid queued)
            with self.the_writer.waiting:
                assert self.the_writer.waiting.wait_for(lambda: len(self.the_writer.jobs) == queued, WAIT)
        return ref

    def join(self) -> list[tuple[int, dict | None]]:
        for t in self.threads:
            t.join(WAIT)
        assert not any(t.is_alive() for t in self.threads)
        return [self.answers[ref] for _who, ref, _amount in self.sent]


def _group(app, db, trade, client, server, group: list[tuple[str, Decimal]], on_queued=None):  # noqa: F811
    """A first bid (buyer1 at the leading price: too low) holds the writer; then `group` queued behind it in this
    order and taken as one group (`on_queued(n, ref)` once the n-th is queued). Returns the bids sent (the first
    included), their answers, the jobs as the writer had them queued, and the writer's commits."""
    heads = {who: api_headers(client, who) for who in ("buyer1", "buyer2", "buyer3")}
    bids = Bids(app, f"{server}/api/v1/trades/{trade.id}/auction/bids", heads)
    with Held(db.engine) as held:
        bids.send("buyer1", PRICE, queued=None)
        assert held.held.wait(WAIT), "the writer takes the first bid"
        for n, (who, amount) in enumerate(group, start=1):
            ref = bids.send(who, amount, queued=n)
            if on_queued is not None:
                on_queued(n, ref)
        queued = list(bids.the_writer.jobs)
        held.release.set()
        answers = bids.join()
    return bids.sent, answers, queued, held.commits


def _entries(db, trade, action: str) -> list[tuple[dict, int | None]]:
    rows = db.session.execute(sa.select(AuditEntry.body, AuditEntry.actor_id).where(
        AuditEntry.trade_id == trade.id, AuditEntry.action == action).order_by(AuditEntry.seq)).all()
    return [(json.loads(body), actor_id) for body, actor_id in rows]


def test_a_bid_the_database_refuses_fails_alone_the_rest_of_its_group_is_stored_answered_and_audited(
        app, db, three_in, land, client, server, clock):  # noqa: F811
    trade, regs = three_in
    # buyer2's registration lost its paddle (a defect in the data): its bid is judged valid, but its row breaks
    # the bids' NOT NULL paddle, each time it is stored
    db.session.execute(sa.update(Registration).where(Registration.id == regs["buyer2"].id).values(paddle=None))
    db.session.commit()
    sent, answers, queued, commits = _group(app, db, trade, client, server, [
        ("buyer1", PRICE + INCREMENT),  # takes the next level
        ("buyer2", PRICE + 2 * INCREMENT),  # would take the level after it: its insert fails
        ("buyer3", PRICE + 2 * INCREMENT),  # the same level: takes it, since buyer2's bid is not stored
        ("buyer1", PRICE + 2 * INCREMENT),  # that level again: outbid
    ])

    # the request threads handed the writer plain values of their bidders, not their sessions' User rows
    assert [(type(job.actor), job.actor.id) for job in queued] == [
        (Caller, land[who].id) for who, _ref, _amount in sent[1:]]
    assert all(sa.inspect(job.actor, raiseerr=False) is None for job in queued)

    statuses = [status for status, _body in answers]
    assert statuses == [409, 201, 500, 201, 409], answers
    assert answers[0][1]["code"] == "too_low"
    assert (answers[1][1]["seq"], answers[1][1]["paddle"]) == (1, regs["buyer1"].paddle)
    assert (answers[3][1]["seq"], answers[3][1]["paddle"]) == (2, regs["buyer3"].paddle)
    assert answers[4][1]["code"] == "outbid" and answers[4][1]["price"] == str(PRICE + 2 * INCREMENT)
    # the first bid's commit, then the group's bids alone: buyer1's, buyer3's and buyer1's again (buyer2's rolled back)
    assert commits == 4

    db.session.expire_all()
    rows = list(db.session.scalars(sa.select(LiveBid).where(LiveBid.trade_id == trade.id).order_by(LiveBid.id)))
    assert [(r.client_ref, r.seq, r.refusal) for r in rows] == [
        (sent[0][1], None, "too_low"), (sent[1][1], 1, None), (sent[3][1], 2, None), (sent[4][1], None, "outbid")]
    rnd = live.round_of(trade)
    assert (rnd.accepted_count, rnd.price, rnd.leader_paddle) == (2, PRICE + 2 * INCREMENT, regs["buyer3"].paddle)

    # every stored bid is an entry naming its own bidder (a bidder by pseudonym); the failed one left none
    who_of = {ref: who for who, ref, _amount in sent}
    by_id = {r.id: r for r in rows}
    inserts = _entries(db, trade, "auction_live_bids.insert")
    assert [body["object"]["id"] for body, _actor in inserts] == [r.id for r in rows]
    for body, actor_id in inserts:
        bidder = land[who_of[by_id[body["object"]["id"]].client_ref]]
        assert actor_id == bidder.id
        assert body["actor"] == {"pseudonym": pseudonym(trade.id, "user", bidder.id)}
    levels = [(body["after"]["price"], actor_id) for body, actor_id in
              _entries(db, trade, "auction_rounds.update") if "price" in body["after"]]
    # each level taken is its own bidder's change of the round
    assert levels == [(str(PRICE + INCREMENT), land["buyer1"].id), (str(PRICE + 2 * INCREMENT), land["buyer3"].id)]


@pytest.fixture
def fails_once(monkeypatch):
    """Judging the bid of the reference given fails with `error`, the first time only (a fault of that moment)."""
    refs: dict[str, BaseException] = {}
    judge = writer.judge

    def judging(rnd, job, entrants):
        error = refs.pop(job.client_ref, None)
        if error is not None:
            raise error
        return judge(rnd, job, entrants)

    monkeypatch.setattr(writer, "judge", judging)
    return refs


def test_an_error_that_does_not_come_again_alone_fails_no_bid(app, db, three_in, land, client, server, clock,
                                                              fails_once):  # noqa: F811
    trade, regs = three_in

    def fault(n, ref):  # buyer2's bid fails while the group is judged, not when it is judged alone
        if n == 2:
            fails_once[ref] = RuntimeError("a fault of that moment")

    _sent, answers, _queued, commits = _group(app, db, trade, client, server, [
        ("buyer1", PRICE + INCREMENT), ("buyer2", PRICE + 2 * INCREMENT), ("buyer3", PRICE + 2 * INCREMENT)],
        on_queued=fault)
    assert not fails_once, "the group's judging met the fault"
    assert [status for status, _body in answers] == [409, 201, 201, 409], answers
    assert [answers[1][1]["seq"], answers[2][1]["seq"]] == [1, 2]
    assert answers[3][1]["code"] == "outbid" and answers[3][1]["price"] == str(PRICE + 2 * INCREMENT)
    assert commits == 4  # the first bid, then the three of the group alone
    db.session.expire_all()
    rnd = live.round_of(trade)
    assert (rnd.accepted_count, rnd.leader_paddle) == (2, regs["buyer2"].paddle)
    assert len(_entries(db, trade, "auction_live_bids.insert")) == 4


def test_a_failure_of_the_database_itself_fails_the_group_and_stores_none_of_it(
        app, db, three_in, land, client, server, clock, fails_once):  # noqa: F811
    """No bid is at fault when the database is locked or its disk fails: storing the bids one by one would only
    meet it again, each after its own wait. The group's requests all get the error; nothing of it is stored."""
    trade, _regs = three_in

    def fault(n, ref):
        if n == 2:
            fails_once[ref] = sa.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    _sent, answers, _queued, commits = _group(app, db, trade, client, server, [
        ("buyer1", PRICE + INCREMENT), ("buyer2", PRICE + 2 * INCREMENT), ("buyer3", PRICE + 3 * INCREMENT)],
        on_queued=fault)
    assert [status for status, _body in answers] == [409, 500, 500, 500], answers
    assert commits == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveBid).where(LiveBid.trade_id == trade.id)) == 1
    assert live.round_of(trade).accepted_count == 0


def test_a_failure_of_the_database_while_the_bids_are_stored_alone_fails_those_not_yet_stored(
        app, db, three_in, land, client, server, clock, fails_once):  # noqa: F811
    """The group failed for one bid's fault; while its bids are stored one by one the database fails: the bids
    stored before keep their answers, that bid and the ones after it get the error (none is tried again)."""
    trade, _regs = three_in

    def fault(n, ref):
        if n == 1:  # the group fails on buyer1's bid; alone, buyer1's bid is stored
            fails_once[ref] = RuntimeError("a fault of that moment")
        elif n == 2:  # buyer2's bid is judged first when alone: the database fails then
            fails_once[ref] = sa.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("disk I/O error"))

    _sent, answers, _queued, commits = _group(app, db, trade, client, server, [
        ("buyer1", PRICE + INCREMENT), ("buyer2", PRICE + 2 * INCREMENT), ("buyer3", PRICE + 3 * INCREMENT)],
        on_queued=fault)
    assert not fails_once
    assert [status for status, _body in answers] == [409, 201, 500, 500], answers
    assert commits == 2  # the first bid, then buyer1's alone
    db.session.expire_all()
    assert live.round_of(trade).accepted_count == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveBid).where(LiveBid.trade_id == trade.id)) == 2
