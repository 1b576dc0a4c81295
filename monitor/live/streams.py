"""Live streams of the audit log (Server-Sent Events): every event is an audit entry.

An event's SSE `id` is the entry's index, so a browser that reconnects with `Last-Event-ID` (or a
client passing `?after=`) resumes exactly where it stopped: the stream first reads the entries it
missed from the database, then goes on with live ones, de-duplicated by index, so nothing is lost
or repeated. A viewer receives only the entries `monitor.audit.visibility.visible_to` allows them (the one
rule; the backlog query uses its SQL twin `visible_clause`), for the whole platform, one centre or
one trade.

This module is the HTTP side (the /live routes, the settings, each stream's body). The parts:
monitor/live/events.py (viewers, scopes, an entry as an event and its frames), subscribers.py (a
stream's queue and filter), hub.py (one per app and process: the tail reader and the fan-out) and
publishers.py (how the hub learns that the log grew: after the commit in this process, a poll of the
head for SQLite, LISTEN/NOTIFY for PostgreSQL).

Bounds. A stream holds one server thread (WSGI); a process serves at most LIVE_MAX_STREAMS of them
(more are told to retry later), so a thread pool larger than that keeps room for pages. A stream
ends after LIVE_MAX_SECONDS (the browser resumes with Last-Event-ID, and the viewer's rights are
read again), when its client has left (noticed at the next heartbeat), when it falls LIVE_QUEUE_MAX
events behind (it resumes from the database) and when the hub stops. The fetcher thread stops after
LIVE_IDLE_SECONDS without a stream and starts again with the next one.
"""
from __future__ import annotations

import json
import os
import queue
import time
from collections.abc import Iterator

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request
from flask_login import current_user

from monitor.audit.models import AuditEntry
from monitor.audit.visibility import visible_clause, visible_to
from monitor.live.events import COLUMNS, Scope, Viewer, event_data, frame, trade_refs
from monitor.live.hub import Hub, connect_hooks, head_size, hub_for  # noqa: F401 (connect_hooks: the app factory calls it here)
from monitor.live.outlets import Outlet, framing, peer_gone
from monitor.live.subscribers import Subscriber
from trading.extensions import db
from trading.params import MAX_INT

#: settings (app config, or the environment variable of the same name), with their defaults
DEFAULTS: dict[str, float | int] = {
    "LIVE_POLL_SECONDS": 0.5,  # SQLite: how often each process checks the head for other processes' commits
    "LIVE_PG_POLL_SECONDS": 5.0,  # PostgreSQL: the safety-net check (NOTIFY is the path)
    "LIVE_HEARTBEAT_SECONDS": 15.0,  # a comment line when nothing happens: proxies keep the line open
    "LIVE_RETRY_MS": 2000,  # the browser's reconnection delay (`retry:`)
    "LIVE_BUSY_RETRY_MS": 15000,  # ... when this process already serves LIVE_MAX_STREAMS
    "LIVE_MAX_SECONDS": 600.0,  # a stream's lifetime; the browser resumes where it stopped
    "LIVE_MAX_STREAMS": 1000,  # per process: keep the server's thread pool larger than this
    "LIVE_QUEUE_MAX": 5000,  # reads of new entries a stream may lag behind before it is cut (it resumes from the db)
    "LIVE_BACKLOG_BATCH": 500,  # entries read per query when a stream catches up
    "LIVE_IDLE_SECONDS": 10.0,  # the fetcher thread stops after this long without a stream
    # Python's thread switch interval, process-wide, if set (0: leave Python's 5 ms, the default).
    # Not needed for 1,000 streams since the hub's writer thread sends every event (bench/README.md).
    "LIVE_SWITCH_INTERVAL": 0.0,
}

bp = Blueprint("live", __name__, url_prefix="/live")

# ---- the streams ---------------------------------------------------------------------------------

def backlog(viewer: Viewer, scope: Scope, after: int, limit: int) -> list:
    """Entries after `after` this viewer may see in the scope, oldest first (the same rule as live)."""
    return db.session.execute(sa.select(*COLUMNS)
                              .where(AuditEntry.seq > after, visible_clause(viewer), scope.clause())
                              .order_by(AuditEntry.seq).limit(limit)).all()


def events(app: Flask, hub: Hub, sub: Subscriber, after: int, sock=None, chunked: bool | None = None
           ) -> Iterator[bytes]:
    """The body of one stream: `retry:`, the backlog from the database, then live entries: written by
    the hub's writer when the server's framing is known (`chunked` not None), else by this thread."""
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
        if chunked is not None:  # the server has written all yielded so far: the writer takes over
            _handed_over(hub, sub, Outlet(sock, chunked, last, sub.limit), deadline)
            return
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                batch = sub.queue.get(timeout=min(heartbeat, left))
            except queue.Empty:
                if peer_gone(sock):
                    return
                yield b": heartbeat\n\n"
                continue
            chunk = []
            while True:
                if batch is None:  # cut, or the hub stopped
                    if chunk:
                        yield b"".join(chunk)
                    return
                if batch.first > last:
                    chunk.append(batch.data)
                    last = batch.index
                else:  # entries the backlog already sent come again: skip them
                    for ev in batch.events:
                        if ev.index > last:
                            last = ev.index
                            chunk.append(ev.frames[sub.variant])
                if len(chunk) >= 64:
                    break
                try:
                    batch = sub.queue.get_nowait()
                except queue.Empty:
                    break
            if chunk:
                yield b"".join(chunk)
    finally:
        hub.unsubscribe(sub)


def _handed_over(hub: Hub, sub: Subscriber, outlet: Outlet, deadline: float) -> None:
    """The writer sends the live entries; this thread sleeps until the stream ends, then takes the
    socket back and sends what was left, so that the server can end the response."""
    if hub.attach(sub, outlet):
        outlet.done.wait(max(0.0, deadline - time.monotonic()))
    rest = hub.detach(outlet)
    hub.unsubscribe(sub)
    if rest:
        try:
            outlet.sock.settimeout(10.0)  # a client that reads nothing more does not hold the thread
            outlet.sock.sendall(rest)
        except OSError:  # the client left: the server's last write fails too, and it closes
            pass


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
    if not -1 <= value <= MAX_INT:  # beyond what the database holds
        abort(400)
    return value


def _stream(user, scope: Scope):
    after = _after()
    app = current_app._get_current_object()
    hub = hub_for(app)
    if after is None:
        after = head_size() - 1
    sub = Subscriber(Viewer(user), scope, int(app.config["LIVE_QUEUE_MAX"]))
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if not hub.subscribe(sub):
        busy = f"retry: {int(app.config['LIVE_BUSY_RETRY_MS'])}\n: busy\n\n"
        return Response(busy, mimetype="text/event-stream", headers=headers)
    # the request's session is closed before the body is sent: a waiting stream holds no connection
    sock = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    response = Response(events(app, hub, sub, after, sock, framing(request.environ, sock)),
                        mimetype="text/event-stream", headers=headers)
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

    return url_for(endpoint, after=head_size() - 1, **values)

