"""Judging and storing the live round's bids: one writer thread per process, one write transaction per group.

A bid's request thread checks who bids and what (reads only: the registration and the round as last
committed), then hands the bid to the process's writer and waits.
The writer takes every bid waiting, opens ONE write transaction, reads the round row under the write lock,
looks up the group's references already stored (a retry gets the stored answer) and the round's entrants
once, and judges the bids in their order against the round as the bids before them in the group left it: the
first valid bid for a level takes it (the round's UPDATE, `WHERE accepted_count = <read>`, and the bid's
INSERT with the unique `(round_id, seq)`), every other bid for that level is refused `outbid` with the new
price. Accepted and refused bids alike are rows, so audit entries (each naming its own bidder); the group is
committed once (one WAL fsync) and only then does each request answer. So the guarantees are those of one
transaction per bid (one level, one bid; every bid an entry; a bid's answer only once its row and entry are
on disk), but 98 % of the bids of a busy final minute, refused as outbid, no longer each take the write lock,
append to the log alone and wait for the disk (bench/README.md, `auction.py`).

A group that fails otherwise than by those refusals (a row the database refuses, an error on one bid's path) is
rolled back and its bids are stored again one at a time, each in its own transaction, in their order, judged
against the round as the ones before them left it: only a bid that fails alone too gets the error, the others
are stored and answered as ever. A failure of the database itself (locked, I/O) is no bid's: the group fails.
The job carries its bidder as a `Caller` (plain values, as the sealed bids' upload does): the request's User
row belongs to the request's session and is never read in the writer's thread.

A caller that already holds a write transaction (a test, a CLI) or a database other than SQLite judges and
stores inline, in its own transaction, by the same code (`store_group`); the round row is then read
`FOR UPDATE` where the database has it. The writer thread ends after IDLE_SECONDS without work.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask, current_app

from bidding.auctions.live.models import AuctionRound, LiveBid, RoundEntrant, RoundState
from bidding.submission.writer import commit_reads, holds_no_write
from trading.accounts.models import Caller
from trading.extensions import begin_write, db
from trading.signals import ROW_ACTORS
from trading.trades.models import Trade

#: the most bids one transaction takes
MAX_GROUP = 256
#: seconds the writer thread waits for work before it ends (the next bid starts it again)
IDLE_SECONDS = 2.0
#: what an answer shows of its bid (copied before the writer's commit expires the row)
_ANSWERED = ("id", "round_id", "trade_id", "registration_id", "paddle", "amount", "client_ref", "received_at",
             "seq", "refusal", "price", "ends_at")


@dataclass(eq=False)
class Job:
    """One bid as its request thread found it: who, how much, its reference, its arrival, and the round's
    accepted count the request read (a different count under the write lock: a rival took a level meanwhile)."""

    round_id: int
    trade_id: int
    registration_id: int
    paddle: int
    actor: Caller  # the bidder the entries name, as plain values: never the User row of the request's session
    amount: Decimal
    client_ref: str
    at: datetime
    seen_count: int
    bid: LiveBid | None = None  # the answer: the new row, or the stored one of the same reference
    replay: bool = False  # the stored answer of an earlier request with this reference
    other_amount: bool = False  # the reference was used for another amount (422)
    minimum: Decimal | None = None  # the lowest valid bid once the group was judged (None: not open)
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


def next_minimum(rnd: AuctionRound) -> Decimal:
    """The lowest valid bid now: the starting price while nobody leads, else the price plus one increment."""
    return rnd.price if rnd.leader_registration_id is None else rnd.price + rnd.increment


def judge(rnd: AuctionRound, job: Job, entrants: set[int]) -> str | None:
    """The refusal code of the bid against the round as it stands now (under the write lock), or None."""
    if rnd.state is RoundState.CONFIRMING:
        return "not_open"
    if rnd.state is RoundState.CLOSED or rnd.ends_at is None or job.at >= rnd.ends_at:
        return "round_over"
    if job.registration_id not in entrants:
        return "not_entrant"
    raced = rnd.accepted_count != job.seen_count  # a rival's bid took a level after this one was read
    amount = job.amount
    if rnd.leader_registration_id == job.registration_id:
        return "outbid" if raced and amount <= rnd.price else "already_leading"
    if amount < next_minimum(rnd):
        return "outbid" if raced or _level_taken(rnd, amount) else "too_low"
    if (amount - rnd.price) % rnd.increment:
        return "not_increment"
    return None


def _level_taken(rnd: AuctionRound, amount: Decimal) -> bool:
    """Whether an accepted bid holds this very level (the bidder was beaten to it, not just low)."""
    if rnd.accepted_count and amount == rnd.price:
        return True  # the last accepted bid's: no query
    with db.session.no_autoflush:  # the group's refusals are flushed together, not one by one here
        return db.session.scalar(sa.select(LiveBid.id).where(
            LiveBid.round_id == rnd.id, LiveBid.seq.is_not(None), LiveBid.amount == amount).limit(1)) is not None


def _row(job: Job, rnd: AuctionRound, **values) -> LiveBid:
    bid = LiveBid(round_id=rnd.id, trade_id=rnd.trade_id, registration_id=job.registration_id, paddle=job.paddle,
                  amount=job.amount, client_ref=job.client_ref, received_at=job.at, **values)
    db.session.add(bid)
    db.session.info.setdefault(ROW_ACTORS, {})[bid] = job.actor
    return bid


def store_group(jobs: list[Job]) -> None:
    """Judge and store the jobs in the current write transaction, in their order (the caller commits)."""
    session = db.session
    begin_write()
    for round_id in dict.fromkeys(j.round_id for j in jobs):
        mine = [j for j in jobs if j.round_id == round_id]
        rnd = session.scalar(sa.select(AuctionRound).where(AuctionRound.id == round_id).with_for_update()
                             .execution_options(populate_existing=True))
        # held until the group is stored: the audit log looks each entry's trade up in the session, which keeps
        # a row only while something refers to it (dropped, it was loaded again for every bid's entry)
        trade = session.get(Trade, rnd.trade_id)
        # a reference already stored (a retry whose first answer was lost) or twice in this group: its answer
        stored = {(b.registration_id, b.client_ref): b for b in session.scalars(sa.select(LiveBid).where(
            LiveBid.round_id == round_id, LiveBid.client_ref.in_({j.client_ref for j in mine})))}
        entrants = set(session.scalars(sa.select(RoundEntrant.registration_id)
                                       .where(RoundEntrant.round_id == round_id)))
        for job in mine:
            prior = stored.get((job.registration_id, job.client_ref))
            if prior is not None:
                job.bid, job.replay, job.other_amount = prior, True, prior.amount != job.amount
                continue
            refusal = judge(rnd, job, entrants)
            if refusal is None:
                seq = rnd.accepted_count + 1
                ends_at = max(rnd.ends_at, job.at + timedelta(seconds=rnd.countdown_seconds))
                rnd.accepted_count, rnd.price, rnd.ends_at = seq, job.amount, ends_at
                rnd.leader_registration_id, rnd.leader_paddle = job.registration_id, job.paddle
                job.bid = _row(job, rnd, seq=seq, price=job.amount, ends_at=ends_at)
                session.info[ROW_ACTORS][rnd] = job.actor  # the round's change is this bidder's too
                # the level now: the round's conditional UPDATE and the bid's INSERT (with the refusals before it)
                session.flush()
            else:
                job.bid = _row(job, rnd, refusal=refusal, price=rnd.price, ends_at=rnd.ends_at)
            stored[(job.registration_id, job.client_ref)] = job.bid
        session.flush()  # the refusals after the last acceptance: one audit append for them all
        minimum = next_minimum(rnd) if rnd.state is RoundState.OPEN else None
        for job in mine:
            job.minimum = minimum
        del trade


def _answer(bid: LiveBid) -> LiveBid:
    """A copy of a stored bid that outlives the writer's session."""
    return LiveBid(**{name: getattr(bid, name) for name in _ANSWERED})


def submit(job: Job) -> Job:
    """Judge and store the job's bid: through the process's writer (committed when this returns) when the
    caller holds no write transaction on SQLite, else inline in the caller's transaction (the caller commits)."""
    if current_app.config.get("LIVE_BID_GROUP_COMMIT", True) and holds_no_write():
        commit_reads()  # the request's connection goes back to the pool while it waits
        return _writer(current_app._get_current_object()).submit(job)
    store_group([job])
    return job


class _Writer:
    """The process's writer thread and the bids waiting for it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.waiting = threading.Condition(self.lock)
        self.jobs: list[Job] = []
        self.running = False

    def submit(self, job: Job) -> Job:
        with self.lock:
            self.jobs.append(job)
            if self.running:
                self.waiting.notify()
            else:
                self.running = True
                threading.Thread(target=self._run, name="live-bid-writer", daemon=True).start()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job

    def _run(self) -> None:
        while True:
            with self.lock:
                if not self.jobs:
                    self.waiting.wait(IDLE_SECONDS)
                if not self.jobs:
                    self.running = False
                    return
                group, self.jobs = self.jobs[:MAX_GROUP], self.jobs[MAX_GROUP:]
            self._commit(group)

    def _commit(self, group: list[Job]) -> None:
        try:
            try:
                self._transaction(group)  # one commit, one WAL fsync, for the whole group
            except sa.exc.OperationalError:
                raise  # the database's own failure (locked, I/O, full): no bid's, each alone would fail the same
            except Exception:
                if len(group) == 1:
                    raise
                # one bid's fault (a row the database refuses, an error on one bid's path) must not fail the
                # others: the group was rolled back, so each is stored again alone, in order, judged against the
                # round as the ones before it left it, and answered once its own transaction has committed;
                # an error again is that bid's own
                for job in group:
                    _forget(job)
                    try:
                        self._transaction([job])
                    except sa.exc.OperationalError:
                        raise  # the database failing now: this bid and those after it get the error
                    except Exception as exc:
                        job.error, job.bid = exc, None
                    job.done.set()
        except BaseException as exc:  # nothing of these bids is stored: each request says so
            for job in group:
                if not job.done.is_set():
                    job.error, job.bid = exc, None
        finally:
            for job in group:
                job.done.set()

    def _transaction(self, jobs: list[Job]) -> None:
        """Judge, store and commit the jobs in one write transaction of a fresh session (rolled back on error)."""
        with self.app.app_context():
            db.session.remove()  # a fresh session (see closer.Closer._pass)
            try:
                store_group(jobs)
                for job in jobs:
                    job.bid = _answer(job.bid)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()


def _forget(job: Job) -> None:
    """The job as its request handed it over: what a rolled-back attempt found of it is void."""
    job.bid, job.replay, job.other_amount, job.minimum, job.error = None, False, False, None, None


_writers_lock = threading.Lock()


def _writer(app: Flask) -> _Writer:
    with _writers_lock:
        writer = app.extensions.get("live_bid_writer")
        if writer is None or writer.pid != os.getpid():  # a forked process starts its own
            writer = app.extensions["live_bid_writer"] = _Writer(app)
        return writer
