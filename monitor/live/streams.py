"""Live streams of the audit log (Server-Sent Events): every event is an audit entry.

An event's SSE `id` is the entry's index, so a browser that reconnects with `Last-Event-ID` (or a
client passing `?after=`) resumes exactly where it stopped: the stream first reads the entries it
missed from the database, then goes on with live ones, de-duplicated by index, so nothing is lost
or repeated. A viewer receives only the entries `monitor.audit.visibility.visible_to` allows them (the one
rule; the backlog query uses its SQL twin `visible_clause`), for the whole platform, one centre or
one trade.

One hub per app and process. Its fetcher thread reads each new entry from the database once and
puts a ready-made frame in the queue of every stream that may see it: no stream queries the database
per event. The hub learns that the log grew from a publisher (one interface, `Publisher`):

- in the committing process, at once (`audit.AFTER_COMMIT_HOOKS`), whatever the database;
- `LocalPublisher` (SQLite, the embedded default): each process also checks the head's size every
  LIVE_POLL_SECONDS, so worker processes sharing one file deliver each other's events;
- `PostgresPublisher`: `pg_notify` inside the appending transaction (`audit.IN_TRANSACTION_HOOKS`),
  heard by one LISTEN thread per process on a connection of its own; a slow poll stays as a net.

Bounds. A stream holds one server thread (WSGI); a process serves at most LIVE_MAX_STREAMS of them
(more are told to retry later), so a thread pool larger than that keeps room for pages. A stream
ends after LIVE_MAX_SECONDS (the browser resumes with Last-Event-ID, and the viewer's rights are
read again), when its client has left (noticed at the next heartbeat), when it falls LIVE_QUEUE_MAX
events behind (it resumes from the database) and when the hub stops. The fetcher thread stops after
LIVE_IDLE_SECONDS without a stream and starts again with the next one.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, has_app_context, jsonify, request
from flask_login import current_user

from monitor.audit import log as audit
from monitor.audit.models import AuditEntry, AuditHead
from monitor.audit.visibility import visible_clause, visible_to
from trading.extensions import db

log = logging.getLogger(__name__)

#: the PostgreSQL channel that carries "the log grew to <size>"
CHANNEL = "audit_log"

#: settings (app config, or the environment variable of the same name), with their defaults
DEFAULTS: dict[str, float | int] = {
    "LIVE_POLL_SECONDS": 0.5,  # SQLite: how often each process checks the head for other processes' commits
    "LIVE_PG_POLL_SECONDS": 5.0,  # PostgreSQL: the safety-net check (NOTIFY is the path)
    "LIVE_HEARTBEAT_SECONDS": 15.0,  # a comment line when nothing happens: proxies keep the line open
    "LIVE_RETRY_MS": 2000,  # the browser's reconnection delay (`retry:`)
    "LIVE_BUSY_RETRY_MS": 15000,  # ... when this process already serves LIVE_MAX_STREAMS
    "LIVE_MAX_SECONDS": 600.0,  # a stream's lifetime; the browser resumes where it stopped
    "LIVE_MAX_STREAMS": 1000,  # per process: keep the server's thread pool larger than this
    "LIVE_QUEUE_MAX": 5000,  # events a stream may lag behind before it is cut (it resumes from the database)
    "LIVE_BACKLOG_BATCH": 500,  # entries read per query when a stream catches up
    "LIVE_IDLE_SECONDS": 10.0,  # the fetcher thread stops after this long without a stream
    # Python's thread switch interval for processes serving many streams (0: leave Python's 5 ms).
    # Each event wakes one thread per stream; with 1,000 of them, forced switches every 5 ms make
    # them queue for the interpreter lock (p99 ~0.6 s in bench/live.py); 0.05 delivers in ~0.1 s.
    # The cost: a thread computing without pause (a PDF, a hash) may keep others waiting 50 ms.
    "LIVE_SWITCH_INTERVAL": 0.0,
}

bp = Blueprint("live", __name__, url_prefix="/live")


# ---- who is watching, and what -------------------------------------------------------------------

@dataclass(frozen=True)
class _Grant:
    role: object  # trading.accounts.roles.Role
    centre_id: int | None


class Viewer:
    """What `visible_to` and `visible_clause` read of a user, frozen when the stream opens.

    The fetcher thread has no session to load users with, and a stream's rights do not change
    under it: it ends after LIVE_MAX_SECONDS and the reconnection reads them again.
    """

    __slots__ = ("is_authenticated", "id", "grants")

    def __init__(self, user=None) -> None:
        self.is_authenticated = bool(getattr(user, "is_authenticated", False))
        self.id = user.id if self.is_authenticated else None
        self.grants = tuple(_Grant(gr.role, gr.centre_id) for gr in user.grants) if self.is_authenticated else ()

    def branches(self) -> set:
        return {gr.role.branch for gr in self.grants}


@dataclass(frozen=True)
class Scope:
    """The whole platform, one centre or one trade."""

    centre_id: int | None = None
    trade_id: int | None = None

    def matches(self, centre_id: int | None, trade_id: int | None) -> bool:
        return ((self.centre_id is None or centre_id == self.centre_id)
                and (self.trade_id is None or trade_id == self.trade_id))

    def clause(self):
        parts = []
        if self.centre_id is not None:
            parts.append(AuditEntry.centre_id == self.centre_id)
        if self.trade_id is not None:
            parts.append(AuditEntry.trade_id == self.trade_id)
        return sa.and_(sa.true(), *parts)


# ---- events --------------------------------------------------------------------------------------

#: the columns an event is made from
COLUMNS = (AuditEntry.seq, AuditEntry.body, AuditEntry.audience, AuditEntry.centre_id, AuditEntry.trade_id,
           AuditEntry.actor_id)
#: body fields a stream leaves out: the request's address and the hash chain say nothing to a watcher
OMITTED = ("origin", "prev", "v")


@dataclass(frozen=True, slots=True)
class Event:
    """One entry, read once, with its SSE frame for signed-in viewers and for anonymous ones."""

    index: int
    audience: str
    centre_id: int | None
    trade_id: int | None
    actor_id: int | None
    frames: tuple[bytes, bytes]


def event_data(body: dict, audience: str, ref: str | None, signed_in: bool) -> dict:
    """An event's JSON: the entry as logged (index, at, action, trade, centre, object, role, branch,
    before, after...) plus its audience and the trade's reference; anonymous viewers are not told
    who acted, only in which role."""
    data = {k: v for k, v in body.items() if k not in OMITTED}
    data["audience"] = audience
    data["ref"] = ref
    if not signed_in:
        data["actor"] = None
    return data


def frame(index: int, data: dict) -> bytes:
    # json.dumps escapes line breaks inside strings, so the data is one SSE line
    return f"id: {index}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def make_event(row, refs: dict[int, str]) -> Event:
    body = json.loads(row.body)
    ref = refs.get(row.trade_id) if row.trade_id is not None else None
    return Event(row.seq, row.audience, row.centre_id, row.trade_id, row.actor_id,
                 (frame(row.seq, event_data(body, row.audience, ref, True)),
                  frame(row.seq, event_data(body, row.audience, ref, False))))


def trade_refs(trade_ids, cache: dict[int, str] | None = None) -> dict[int, str]:
    """References of the trades named by a batch of entries: one query per batch, not per event."""
    from trading.trades.models import Trade

    cache = {} if cache is None else cache
    wanted = {t for t in trade_ids if t is not None and t not in cache}
    if wanted:
        if len(cache) > 50_000:
            cache.clear()
        cache.update({tid: ref for tid, ref in db.session.execute(sa.select(Trade.id, Trade.ref)
                                                                  .where(Trade.id.in_(wanted)))})
    return cache


class Subscriber:
    """One open stream: its viewer, scope and queue of frames ready to write."""

    __slots__ = ("viewer", "scope", "variant", "queue", "cut", "limit")

    def __init__(self, viewer: Viewer, scope: Scope, limit: int = 5000) -> None:
        self.viewer, self.scope, self.limit = viewer, scope, limit
        self.variant = 0 if viewer.is_authenticated else 1
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.cut = False

    def wants(self, ev: Event) -> bool:
        return (self.scope.matches(ev.centre_id, ev.trade_id)
                and visible_to(self.viewer, ev.audience, ev.centre_id, ev.actor_id))

    def offer(self, ev: Event) -> None:
        if self.cut or not self.wants(ev):
            return
        if self.queue.qsize() >= self.limit:
            # too far behind: end the stream after what it holds; the client resumes from the database
            self.cut = True
            self.queue.put(None)
            return
        self.queue.put(ev)

    def end(self) -> None:
        self.queue.put(None)


# ---- publishers ----------------------------------------------------------------------------------

class Publisher:
    """How "the log grew" travels from the appending transaction to every process's fetcher.

    `announce(connection, size)` runs inside the appending transaction; `listen(hub, stop)` runs
    on a thread of its own per hub and calls `hub.wake()` when another process appended (None:
    nothing to listen to); the fetcher also checks the head every `poll_seconds`. In the committing
    process the hub is woken after the commit whatever the publisher.
    """

    name = "base"
    listens = False

    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds

    def announce(self, connection: sa.Connection, size: int) -> None:
        """Nothing to do: other processes find out by checking the head."""

    def listen(self, hub: "Hub", stop: threading.Event) -> None:
        """Nothing to listen to."""


class LocalPublisher(Publisher):
    """In-process fan-out, plus a cheap periodic check of the head for other processes (SQLite)."""

    name = "local"


class PostgresPublisher(Publisher):
    """PostgreSQL LISTEN/NOTIFY: the NOTIFY is sent when the appending transaction commits."""

    name = "postgres"
    listens = True

    def __init__(self, poll_seconds: float, connect_args: dict) -> None:
        super().__init__(poll_seconds)
        self.connect_args = connect_args

    def announce(self, connection: sa.Connection, size: int) -> None:
        pg_notify(connection, size)

    def listen(self, hub: "Hub", stop: threading.Event) -> None:
        import psycopg

        while not stop.is_set():
            try:
                with psycopg.connect(**self.connect_args, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    hub.wake()  # whatever was committed before LISTEN took effect
                    while not stop.is_set():
                        for _note in conn.notifies(timeout=1.0):
                            hub.wake()
                            if stop.is_set():
                                break
            except Exception:  # the server restarted or the network broke: listen again
                if not stop.is_set():
                    log.warning("live: LISTEN %s failed; retrying", CHANNEL, exc_info=True)
                    hub.wake()
                    stop.wait(1.0)


def pg_notify(connection: sa.Connection, size: int) -> None:
    """Delivered to every LISTEN-ing process when (and only if) the transaction commits."""
    connection.execute(sa.select(sa.func.pg_notify(CHANNEL, str(size))))


def _psycopg_args(url: sa.URL) -> dict:
    args = {"host": url.host, "port": url.port, "user": url.username, "password": url.password,
            "dbname": url.database}
    args.update({k: v for k, v in url.query.items() if isinstance(v, str)})
    return {k: v for k, v in args.items() if v is not None}


def publisher_for(app: Flask) -> Publisher:
    """PostgreSQL LISTEN/NOTIFY when the app's database is PostgreSQL, else the local publisher."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresPublisher(float(app.config["LIVE_PG_POLL_SECONDS"]), _psycopg_args(url))
    return LocalPublisher(float(app.config["LIVE_POLL_SECONDS"]))


# ---- the hub -------------------------------------------------------------------------------------

def _head_size() -> int:
    return int(db.session.scalar(sa.select(AuditHead.size).where(AuditHead.id == 1)) or 0)


class Hub:
    """One per app and process: the subscribers, the fetcher thread and the publisher's listener."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.publisher = publisher_for(app)
        self.lock = threading.Lock()
        self.subscribers: set[Subscriber] = set()
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
                self.size = _head_size()
                self._start()
            self.subscribers.add(sub)
        return True

    def unsubscribe(self, sub: Subscriber) -> None:
        with self.lock:
            self.subscribers.discard(sub)

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
            if check_head and _head_size() <= (self.size or 0):
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
                    for sub in self.subscribers:
                        for ev in events:
                            sub.offer(ev)
                    self.size = rows[-1].seq + 1
                    self.fetches += 1
                if len(rows) < batch:
                    return


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


# ---- the streams ---------------------------------------------------------------------------------

def backlog(viewer: Viewer, scope: Scope, after: int, limit: int) -> list:
    """Entries after `after` this viewer may see in the scope, oldest first (the same rule as live)."""
    return db.session.execute(sa.select(*COLUMNS)
                              .where(AuditEntry.seq > after, visible_clause(viewer), scope.clause())
                              .order_by(AuditEntry.seq).limit(limit)).all()


def _peer_gone(sock) -> bool:
    """The client closed its end (a read would return end-of-file): stop writing heartbeats to it."""
    if sock is None:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except ValueError:  # TLS sockets take no flags: the next write will tell
        return False
    except OSError:
        return True


def events(app: Flask, hub: Hub, sub: Subscriber, after: int, sock=None) -> Iterator[bytes]:
    """The body of one stream: `retry:`, the backlog from the database, then live entries."""
    cfg = app.config
    heartbeat = float(cfg["LIVE_HEARTBEAT_SECONDS"])
    deadline = time.monotonic() + float(cfg["LIVE_MAX_SECONDS"])
    batch = int(cfg["LIVE_BACKLOG_BATCH"])
    last = after
    try:
        yield f"retry: {int(cfg['LIVE_RETRY_MS'])}\n\n".encode()
        while True:
            with app.app_context():
                rows = backlog(sub.viewer, sub.scope, last, batch)
                refs = trade_refs(r.trade_id for r in rows)
            if rows:
                chunk = []
                for row in rows:
                    body = json.loads(row.body)
                    chunk.append(frame(row.seq, event_data(body, row.audience, refs.get(row.trade_id),
                                                           sub.variant == 0)))
                last = rows[-1].seq
                yield b"".join(chunk)
            if len(rows) < batch:
                break
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                ev = sub.queue.get(timeout=min(heartbeat, left))
            except queue.Empty:
                if _peer_gone(sock):
                    return
                yield b": heartbeat\n\n"
                continue
            chunk = []
            while True:
                if ev is None:  # cut, or the hub stopped
                    if chunk:
                        yield b"".join(chunk)
                    return
                if ev.index > last:  # an entry the backlog already sent comes again: skip it
                    last = ev.index
                    chunk.append(ev.frames[sub.variant])
                if len(chunk) >= 64:
                    break
                try:
                    ev = sub.queue.get_nowait()
                except queue.Empty:
                    break
            if chunk:
                yield b"".join(chunk)
    finally:
        hub.unsubscribe(sub)


def _caller():
    """The user behind the request: a bearer token (clients) or the session cookie (pages); anonymous
    viewers get the public entries. Returns (user, None) or (None, a 401 response)."""
    from trading.api import bearer_user
    from trading.permissions import NotAuthenticated

    try:
        user = bearer_user()
    except NotAuthenticated as exc:
        return None, (jsonify(exc.to_dict()), 401)
    return (current_user if user is None else user), None


def _after() -> int | None:
    """Where to resume: Last-Event-ID (the browser's reconnection) wins over ?after=; None: from now."""
    raw = request.headers.get("Last-Event-ID") or request.args.get("after")
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        abort(400)
    if value < -1:
        abort(400)
    return value


def _stream(user, scope: Scope):
    after = _after()
    app = current_app._get_current_object()
    hub = hub_for(app)
    if after is None:
        after = _head_size() - 1
    sub = Subscriber(Viewer(user), scope, int(app.config["LIVE_QUEUE_MAX"]))
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if not hub.subscribe(sub):
        busy = f"retry: {int(app.config['LIVE_BUSY_RETRY_MS'])}\n: busy\n\n"
        return Response(busy, mimetype="text/event-stream", headers=headers)
    # the request's session is closed before the body is sent: a waiting stream holds no connection
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    response = Response(events(app, hub, sub, after, sock), mimetype="text/event-stream", headers=headers)
    response.call_on_close(lambda: hub.unsubscribe(sub))  # also when the body was never started
    return response


@bp.get("/platform")
def platform():
    """Every entry the viewer may see."""
    user, refused = _caller()
    return refused or _stream(user, Scope())


@bp.get("/centres/<int:centre_id>")
def centre(centre_id: int):
    """The entries of one centre the viewer may see."""
    from trading.centres.models import Centre

    user, refused = _caller()
    if refused:
        return refused
    if db.session.get(Centre, centre_id) is None:
        abort(404)
    return _stream(user, Scope(centre_id=centre_id))


@bp.get("/trades/<int:trade_id>")
def trade(trade_id: int):
    """The entries of one trade the viewer may see; 404 also for a trade they may not see at all."""
    from trading.permissions import can
    from trading.trades.models import Trade

    user, refused = _caller()
    if refused:
        return refused
    row = db.session.get(Trade, trade_id)
    if row is None or not can(user, "trade.view", row):
        abort(404)
    return _stream(user, Scope(trade_id=trade_id))


# ---- registration --------------------------------------------------------------------------------

def _setting(name: str, default):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return type(default)(float(raw)) if isinstance(default, int) else float(raw)


def configure(app: Flask) -> None:
    """The settings' defaults (the app factory registers the /live blueprint and connects the hooks)."""
    for name, default in DEFAULTS.items():
        app.config.setdefault(name, _setting(name, default))
    if float(app.config["LIVE_SWITCH_INTERVAL"]) > 0:
        import sys

        sys.setswitchinterval(float(app.config["LIVE_SWITCH_INTERVAL"]))  # process-wide, by choice


def sees_centre(centre_id: int | None, user=None) -> bool:
    """Whether a stream carries every entry of a centre's trades to this viewer (the centre's
    branches do; others get the public entries and their own): pages poll less when it does."""
    return visible_to(user if user is not None else current_user, "centre", centre_id, None)


def stream_url_after(endpoint: str = "live.platform", **values) -> str:
    """A stream's URL starting after the current head: a page renders what it read up to now and
    the stream continues exactly from there."""
    from flask import url_for

    return url_for(endpoint, after=_head_size() - 1, **values)

