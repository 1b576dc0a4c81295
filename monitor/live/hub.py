"""The hub: one per app and process, the audit log's tail reader and the fan-out to open streams.

Its fetcher thread reads each new entry from the database once (woken by the publisher, see
monitor/live/publishers.py) and puts a ready-made batch in the queue of every stream that may see it:
no stream queries the database per event. Streams are grouped by what they may see (signed in or
not, audience, scope), so the filtering and joining is done once per group, not per stream. The
fetcher thread stops after LIVE_IDLE_SECONDS without a stream and starts again with the next one.
"""
from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from monitor.audit import log as audit
from monitor.audit.models import AuditEntry, AuditHead
from monitor.audit.visibility import audience_sees
from monitor.live.events import COLUMNS, Batch, Event, make_event, trade_refs
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
        for sub in subs:
            sub.end()
        self.wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self, stop: threading.Event) -> None:
        poll = self.publisher.poll_seconds
        idle_after = float(self.app.config["LIVE_IDLE_SECONDS"])
        idle_since: float | None = None
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
                    break

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

        The work per stream is one queue put: 1,000 streams are served before the threads woken
        first take the interpreter back (their wake-ups are what costs; see bench/README.md).
        A stream whose viewer made one of these entries also gets that one: it is served alone.
        """
        alone: set[Subscriber] = set()
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
                if sub not in alone:
                    sub.put(batch)
        for sub in alone:
            picked = [ev for ev in events if sub.wants(ev)]
            if picked:
                sub.put(Batch.of(picked, sub.variant))


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

