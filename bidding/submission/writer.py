"""Storing received bids: one writer thread per process commits the bids of many uploads together.

An upload's request thread receives and checks the envelope, fsyncs its blob, then hands the bid to
the process's writer (`store`) and waits. The writer takes every bid waiting, opens one write
transaction, reads each trade's stage once (under the write lock: a close that commits first is
seen), inserts the bids with one flush, so the audit log appends their entries together (one entry
per bid, in the order they were taken, each naming its own actor), signs each receipt with the index
of its bid's entry, stores the receipts with a second flush and commits once: one commit and one
WAL fsync for the whole group. Only then does each request thread answer with its receipt, so the
durability is unchanged: a receipt is answered only after its envelope's blob and the WAL holding
its bid row, its receipt and its audit entry are on disk.

On SQLite only one connection writes at a time, and a request holding the write lock for its whole
transaction made every upload wait for the ones before it, each transaction stretched by the other
request threads competing for the interpreter lock. One writer holding it once per group removes
that queue (bench/README.md).

A group whose insert collides (two uploads of one company's same version) is rolled back to its
savepoint and stored one bid at a time, each in its own savepoint, as is a replacement of an earlier
version. A caller that already holds a write transaction (a test, a CLI) or a database other than
SQLite stores inline, in the caller's transaction, the same way (`store_one`).
"""
from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from bidding.crypto import receipt
from bidding.submission.models import Bid, BidState
from trading.clock import local_tz
from trading.extensions import begin_write, db
from trading.signals import ROW_ACTORS, audit_index_of
from trading.trades.flows import TradeState
from trading.trades.models import Trade

#: the most bids one transaction takes
MAX_GROUP = 64
#: seconds the writer thread waits for work before it ends (the next upload starts it again)
IDLE_SECONDS = 2.0
#: what an upload's answer shows of its bid (a stored bid is answered from these values)
_ANSWERED = ("id", "trade_id", "organisation_id", "submitted_by_id", "version", "state", "sha256", "size",
             "received_at", "receipt")


@functools.cache
def _trade_query() -> sa.Select:
    """The trade's own row (no centre, tenderer or offerings); built once, after the mappers are set up."""
    return (sa.select(Trade).where(Trade.id == sa.bindparam("id"))
            .options(sa.orm.lazyload(Trade.centre), sa.orm.lazyload(Trade.tenderer)))


_LAST_ID = sa.select(sa.func.max(Bid.id))


@dataclass(eq=False)
class Job:
    """One received envelope to store: what the request thread found, checked and fsynced."""

    trade_id: int
    trade_ref: str
    deadline: datetime
    organisation_id: int
    credit_code: str
    actor: Any  # the User the audit entry names
    version: int
    replaces: bool  # the company has an earlier version (it is marked replaced)
    sha256: str
    size: int
    received_at: datetime
    signing_key: Any
    sender: Any = None  # the Trade the bid_submitted signal is sent for
    outcome: str = ""  # "stored", "same" (this envelope was stored by an upload at the same time),
    #                    "not_open", "version_taken"
    bid: Bid | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


def still_takes(state: TradeState | None, deadline: datetime, received_at: datetime) -> bool:
    """After the upload: the time its last byte arrived decides, not the stage now. The closing
    tick may have run while the envelope was being checked; suspended or cancelled meanwhile is no."""
    return state is TradeState.BIDDING or (state is TradeState.CLOSED and received_at < deadline)


def store(job: Job) -> Job:
    """Store the job's bid and sign its receipt; `job.outcome` says how it went. Through the process's
    writer (committed when this returns) when the caller holds no write transaction on SQLite, else
    inline in the caller's transaction (the caller commits)."""
    if _grouped():
        _give_back_connection()
        return _writer(current_app._get_current_object()).submit(job)
    begin_write()
    if not still_takes(_state(job.trade_id), job.deadline, job.received_at):
        job.outcome = "not_open"
        return job
    store_one(job)
    return job


def _grouped() -> bool:
    return current_app.config.get("BID_GROUP_COMMIT", True) and holds_no_write()


def holds_no_write() -> bool:
    """SQLite, and the caller's session has written nothing (no transaction open on its connection)."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        return False
    if not session.in_transaction():  # nothing begun since its last commit: no connection to take just to ask
        return session.get_bind().dialect.name == "sqlite"
    connection = session.connection()
    return connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction


def _give_back_connection() -> None:
    """End the caller's transaction, which has only read, so that its connection goes back to the pool
    while the request waits: request threads waiting for the writer must not hold every connection
    the writer could take. The rows it loaded stay loaded (the actor, the trade)."""
    commit_reads()


def commit_reads() -> None:
    """Commit the caller's session without expiring what it loaded (it holds reads, or a small write
    such as the first publication of the receipt key, that should not wait for the upload)."""
    session = db.session()
    if not session.in_transaction():  # committed already (an upload's reads end before its body)
        return
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def _state(trade_id: int) -> TradeState | None:
    return db.session.scalar(sa.select(Trade.state).where(Trade.id == trade_id))


def _new_bid(job: Job, bid_id: int | None = None) -> Bid:
    bid = Bid(id=bid_id, trade_id=job.trade_id, organisation_id=job.organisation_id, submitted_by_id=job.actor.id,
              version=job.version, sha256=job.sha256, size=job.size, received_at=job.received_at, receipt="")
    db.session.add(bid)
    db.session.info.setdefault(ROW_ACTORS, {})[bid] = job.actor
    return bid


def _sign(job: Job, bid: Bid) -> None:
    signed = receipt.sign_receipt({"trade": job.trade_ref, "bidder": job.credit_code, "version": job.version,
                                   "sha256": job.sha256, "size": job.size,
                                   # in the platform's legal time zone, as every time it shows
                                   "received_at": job.received_at.astimezone(local_tz()),
                                   "audit_index": audit_index_of(bid)}, job.signing_key)
    bid.receipt = receipt.receipt_json(signed)


def _announce(job: Job) -> None:
    from bidding.submission.services import bid_submitted

    bid_submitted.send(job.sender, bid=job.bid, actor=job.actor)


def store_one(job: Job) -> None:
    """One bid in its own savepoint, inside the current write transaction: the replacement of the
    company's earlier version, the new row and its receipt stand or fall together."""
    session = db.session
    try:
        with session.begin_nested():
            # the INSERT first: on SQLite it takes the write lock before anything is read
            bid = _new_bid(job)
            session.flush()
            # versions go 1, 2, 3... each read from the last one stored: with none before, this
            # version 1 (its insert did not collide) is the company's only row, nothing to replace
            if job.replaces:
                earlier = session.scalars(sa.select(Bid).where(
                    Bid.trade_id == job.trade_id, Bid.organisation_id == job.organisation_id,
                    Bid.state == BidState.SUBMITTED, Bid.id != bid.id)).all()
                for old in earlier:  # through the flush, so the audit log records each replacement
                    old.state = BidState.REPLACED
                    session.info[ROW_ACTORS][old] = job.actor
                session.flush()
            # signed and stored with the row, in its transaction: no upload, not even a concurrent
            # resend of the same envelope, ever reads this bid without its receipt
            _sign(job, bid)
            session.flush()
    except sa.exc.IntegrityError:  # another upload of the same company stored this version first
        winner = session.scalar(sa.select(Bid).where(Bid.trade_id == job.trade_id,
                                                     Bid.organisation_id == job.organisation_id,
                                                     Bid.version == job.version))
        if winner is not None and winner.sha256 == job.sha256 and winner.size == job.size:
            job.outcome, job.bid = "same", winner  # the same envelope, sent twice at once: one bid, one receipt
        else:
            job.outcome = "version_taken"
        return
    job.outcome, job.bid = "stored", bid
    _announce(job)


def store_group(jobs: list[Job]) -> None:
    """Several bids in the current write transaction: the first versions with one insert flush and one
    receipt flush; replacements, and every bid of a group whose insert collided, one at a time."""
    session = db.session
    begin_write()
    # each trade's row, read under the write lock. Held here until the group is stored: the session
    # keeps loaded rows only while something refers to them, and the audit log looks each bid's trade
    # up in the session (dropped, it would be read again, with its centre's offerings: two statements)
    trades = {trade_id: session.execute(_trade_query(), {"id": trade_id}).scalar_one_or_none()
              for trade_id in dict.fromkeys(j.trade_id for j in jobs)}
    ready = []
    for job in jobs:
        if still_takes(getattr(trades[job.trade_id], "state", None), job.deadline, job.received_at):
            ready.append(job)
        else:
            job.outcome = "not_open"
    first = [j for j in ready if not j.replaces]
    alone = [j for j in ready if j.replaces]
    if len(first) > 1:
        try:
            with session.begin_nested():
                # numbered here, under the write lock, as SQLite would (the largest id + 1): with their
                # keys known the rows go in one executemany instead of one INSERT ... RETURNING each
                last = session.scalar(_LAST_ID) or 0
                bids = [_new_bid(job, last + offset) for offset, job in enumerate(first, start=1)]
                session.flush()  # one flush: the audit log appends every entry in one go, in this order
                for job, bid in zip(first, bids):
                    _sign(job, bid)
                session.flush()
        except sa.exc.IntegrityError:
            alone = first + alone  # a version taken meanwhile: each on its own tells which
        else:
            for job, bid in zip(first, bids):
                job.outcome, job.bid = "stored", bid
                _announce(job)
    else:
        alone = first + alone
    for job in sorted(alone, key=jobs.index):
        store_one(job)


def _answer(bid: Bid) -> Bid:
    """A copy of a stored bid that outlives the writer's session (read before the commit expires it)."""
    return Bid(**{name: getattr(bid, name) for name in _ANSWERED})


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
                threading.Thread(target=self._run, name="bid-writer", daemon=True).start()
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
            with self.app.app_context():
                try:
                    store_group(group)
                    for job in group:
                        if job.bid is not None:
                            job.bid = _answer(job.bid)
                    db.session.commit()  # one commit, one WAL fsync, for the whole group
                except BaseException:
                    db.session.rollback()
                    raise
        except BaseException as exc:  # nothing of the group is stored: every upload says so
            for job in group:
                job.error, job.bid = exc, None
        finally:
            for job in group:
                job.done.set()


_writers_lock = threading.Lock()


def _writer(app: Flask) -> _Writer:
    with _writers_lock:
        writer = app.extensions.get("bid_writer")
        if writer is None or writer.pid != os.getpid():  # a forked process starts its own
            writer = app.extensions["bid_writer"] = _Writer(app)
        return writer
