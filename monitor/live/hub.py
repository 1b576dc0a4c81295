"""The hub: one per app and process, the audit log's tail reader and the fan-out to open streams.

Its fetcher thread reads each new entry from the database once (woken by the publisher, see
monitor/live/publishers.py) and puts a ready-made batch in the queue of every stream that may see it:
no stream queries the database per event. Streams are grouped by what they may see (signed in or
not, audience, scope), so the filtering and joining is done once per group, not per stream. The
fetcher thread stops after LIVE_IDLE_SECONDS without a stream and starts again with the next one.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from monitor.audit import log as audit
from monitor.audit.models import AuditEntry, AuditHead
from monitor.audit.visibility import audience_sees
from monitor.live.events import COLUMNS, Batch, Event, make_event, trade_refs
from monitor.live.outlets import Outlet, Writer
from monitor.live.publishers import pg_notify, publisher_for
from monitor.live.subscribers import Subscriber
from trading.extensions import db

log = logging.getLogger(__name__)


def head_size() -> int:
    return int(db.session.scalar(sa.select(AuditHead.size).where(AuditHead.id == 1)) or 0)


class Hub:
    """One per app and process: the subscribers, the fetcher thread and the publisher's listener."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.publisher = publisher_for(app)
        self.lock = threading.Lock()
        self.subscribers: set[Subscriber] = set()
        self.groups: dict[tuple, set[Subscriber]] = {}  # streams by Subscriber.group
        self.watching: dict[int, set[Subscriber]] = {}  # signed-in streams by viewer id
        self.size: int | None = None  # entries [0, size) have been fanned out
        self.wakeup = threading.Event()
        self.thread: threading.Thread | None = None
        self.stop_event: threading.Event | None = None
        self.refs: dict[int, str] = {}
        self.fetches = 0  # database reads of new entries (tests and the bench look)
        self.writer: Writer | None = None  # writes to the streams that handed their socket over

    # -- subscribers --

    def subscribe(self, sub: Subscriber) -> bool:
        """Add a stream; False when the process already serves LIVE_MAX_STREAMS. Call with an app
        context: the first stream reads the head, so entries from here on reach its queue."""
        with self.lock:
            if len(self.subscribers) >= int(self.app.config["LIVE_MAX_STREAMS"]):
                return False
            if self.thread is None:
                self.size = head_size()
                self._start()
            self.subscribers.add(sub)
            self.groups.setdefault(sub.group, set()).add(sub)
            if sub.viewer.id is not None:
                self.watching.setdefault(sub.viewer.id, set()).add(sub)
        return True

    def unsubscribe(self, sub: Subscriber) -> None:
        with self.lock:
            self.subscribers.discard(sub)
            for index, key in ((self.groups, sub.group), (self.watching, sub.viewer.id)):
                subs = index.get(key)
                if subs is not None:
                    subs.discard(sub)
                    if not subs:
                        del index[key]

    def attach(self, sub: Subscriber, outlet: Outlet) -> bool:
        """Hand a stream's socket to the writer, with what its queue holds (events it already sent
        left out). False when the stream is no longer subscribed or ends (cut, hub stopped)."""
        with self.lock:
            if sub not in self.subscribers:
                return False
            ended = False
            while True:
                try:
                    batch = sub.queue.get_nowait()
                except queue.Empty:
                    break
                if batch is None:
                    ended = True
                    break
                with outlet.lock:
                    fresh = [ev for ev in batch.events if ev.index > outlet.last]
                    if fresh:
                        outlet.buf += outlet.frame(b"".join(ev.frames[sub.variant] for ev in fresh))
                        outlet.last = fresh[-1].index
            if ended or sub.cut:
                outlet.done.set()
            sub.outlet = outlet
            if self.writer is None:
                self.writer = Writer(float(self.app.config["LIVE_HEARTBEAT_SECONDS"]))
            writer = self.writer
        writer.attach(outlet)
        return True

    def detach(self, outlet: Outlet) -> bytes:
        """Take a socket back from the writer: the bytes it had not sent yet."""
        with self.lock:
            writer = self.writer
        return writer.detach(outlet) if writer is not None else b""

    def count(self) -> int:
        with self.lock:
            return len(self.subscribers)

    def wake(self) -> None:
        self.wakeup.set()

    # -- threads --

    def _start(self) -> None:
        stop = threading.Event()
        self.stop_event = stop
        self.thread = threading.Thread(target=self._run, args=(stop,), name="live-fetcher", daemon=True)
        self.thread.start()
        if self.publisher.listens:
            threading.Thread(target=self.publisher.listen, args=(self, stop), name="live-listener",
                             daemon=True).start()

    def stop(self) -> None:
        """End every stream and the threads (app teardown, tests)."""
        with self.lock:
            subs, self.subscribers = list(self.subscribers), set()
            self.groups, self.watching = {}, {}
            if self.stop_event is not None:
                self.stop_event.set()
            thread, self.thread, self.stop_event, self.size = self.thread, None, None, None
            writer, self.writer = self.writer, None
        for sub in subs:
            sub.end()
        if writer is not None:
            writer.stop()
        self.wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self, stop: threading.Event) -> None:
        poll = self.publisher.poll_seconds
        idle_after = float(self.app.config["LIVE_IDLE_SECONDS"])
        idle_since: float | None = None
        writer = None
        while not stop.is_set():
            woken = self.wakeup.wait(poll)
            self.wakeup.clear()  # a commit after this line sets it again; one before is read below
            if stop.is_set():
                break
            try:
                self._fetch(stop, check_head=not woken)
            except Exception:
                log.exception("live: reading new audit entries failed; retrying")
                stop.wait(min(poll, 1.0))
            with self.lock:
                if stop.is_set():
                    break
                if self.subscribers:
                    idle_since = None
                    continue
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= idle_after:
                    stop.set()
                    self.thread, self.stop_event, self.size = None, None, None
                    writer, self.writer = self.writer, None
                    break
        if writer is not None:  # idle: no outlet left either
            writer.stop()

    def _fetch(self, stop: threading.Event, check_head: bool) -> None:
        batch = int(self.app.config["LIVE_BACKLOG_BATCH"])
        with self.app.app_context():
            if check_head and head_size() <= (self.size or 0):
                return
            while True:
                start = self.size
                if start is None:
                    return
                rows = db.session.execute(sa.select(*COLUMNS).where(AuditEntry.seq >= start)
                                          .order_by(AuditEntry.seq).limit(batch)).all()
                if not rows:
                    return
                refs = trade_refs((r.trade_id for r in rows), self.refs)
                events = [make_event(r, refs) for r in rows]
                db.session.rollback()  # end the read transaction before fanning out
                with self.lock:
                    if stop.is_set() or self.size != start:  # stopped (and perhaps restarted) meanwhile
                        return
                    self._fan_out(events)
                    self.size = rows[-1].seq + 1
                    self.fetches += 1
                if len(rows) < batch:
                    return


    def _fan_out(self, events: list[Event]) -> None:
        """Filter and join the events once per group of streams, and hand each stream its batch.

        The work per stream is one append: to the bytes its outlet's socket is waiting for (the
        writer thread then sends them all, monitor/live/outlets.py), or to its queue when its own
        thread writes. A stream whose viewer made one of these entries also gets that one: it is
        served alone.
        """
        alone: set[Subscriber] = set()
        touched: list[Outlet] = []
        for ev in events:
            if ev.actor_id is not None and ev.actor_id in self.watching:
                alone |= self.watching[ev.actor_id]
        for (variant, audience, scope), subs in self.groups.items():
            picked = [ev for ev in events if scope.matches(ev.centre_id, ev.trade_id)
                      and audience_sees(audience, ev.audience, ev.centre_id)]
            if not picked:
                continue
            batch = Batch.of(picked, variant)
            for sub in subs:
                if sub not in alone and (outlet := sub.put(batch)) is not None:
                    touched.append(outlet)
        for sub in alone:
            picked = [ev for ev in events if sub.wants(ev)]
            if picked and (outlet := sub.put(Batch.of(picked, sub.variant))) is not None:
                touched.append(outlet)
        if touched and self.writer is not None:
            self.writer.touched(touched)


_HUB_LOCK = threading.Lock()


def hub_for(app: Flask) -> Hub:
    hub = app.extensions.get("live_hub")
    if hub is None:
        with _HUB_LOCK:
            hub = app.extensions.get("live_hub")
            if hub is None:
                hub = app.extensions["live_hub"] = Hub(app)
    return hub


# ---- process-wide hooks (connected once) ---------------------------------------------------------

def _wake_after_commit(_size: int) -> None:
    """The committing app's hub reads at once; other apps and processes find out by their publisher."""
    if has_app_context():
        hub = current_app.extensions.get("live_hub")
        if hub is not None:
            hub.wake()


def _announce(connection: sa.Connection, size: int) -> None:
    if connection.dialect.name == "postgresql":
        pg_notify(connection, size)


def connect_hooks() -> None:
    if _wake_after_commit not in audit.AFTER_COMMIT_HOOKS:
        audit.AFTER_COMMIT_HOOKS.append(_wake_after_commit)
    if _announce not in audit.IN_TRANSACTION_HOOKS:
        audit.IN_TRANSACTION_HOOKS.append(_announce)

