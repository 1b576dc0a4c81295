"""Live streams over real HTTP (werkzeug's threaded server on loopback, read with http.client):
events after state changes, resuming with Last-Event-ID without loss or repetition (also under
random interleavings with a concurrent writer), filtering by what each viewer may see, scopes,
bounds (clients leaving, lifetime, stream limit, lagging streams), and two apps or two processes
sharing one SQLite file."""
from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.audit import log as audit
from monitor.live.events import Event, Scope, Viewer
from monitor.live.hub import hub_for
from monitor.live.streams import events
from monitor.live.subscribers import Subscriber
from monitor.audit.models import AuditEntry
from monitor.audit.visibility import visible_clause, visible_to
from tests.conftest import START, api_headers, tender_timeline
from tests.monitor.live.live_support import FAST, SSE, Server, wait_for
from trading.accounts.models import User
from trading.trades import services as trades

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def serve(app):
    """Start the app (or another) under a real server; every server and hub stops at the end."""
    app.config.update(FAST)
    servers = []

    def start(target=None) -> Server:
        server = Server(target or app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def head() -> int:
    return audit.head()[0]


def visible_after(user, after: int, scope: Scope = Scope()) -> list[int]:
    """What the database says the viewer should receive after `after` (the SQL twin of the rule)."""
    from trading.extensions import db

    return list(db.session.scalars(sa.select(AuditEntry.seq).where(AuditEntry.seq > after, visible_clause(user),
                                                                   scope.clause()).order_by(AuditEntry.seq)))


def bearer(client, username: str) -> dict:
    return {"Authorization": api_headers(client, username)["Authorization"]}


def proc_trade(users, centres, make_trade):
    return make_trade(actor=users["staff_proc"], centre_id=centres["PROC"].id, method="gp_open_tender",
                      title="Office furniture")


# ---- events arrive -----------------------------------------------------------------------------------

def test_a_state_change_arrives_as_events_with_the_entries_indexes(db, users, make_trade, client, serve):
    headers = bearer(client, "supervisor")
    server = serve()
    start = head()
    stream = SSE(server.port, "/live/platform", headers)
    assert stream.status == 200
    assert stream.header("Content-Type").startswith("text/event-stream")
    assert stream.header("Cache-Control") == "no-store"

    trade = make_trade()  # staff creates a draft at WORKS: centre entries the WORKS supervisor may see
    trades.move(trade, "submit", users["staff"])
    db.session.commit()
    expected = visible_after(users["supervisor"], start - 1)
    assert expected and expected[-1] == head() - 1
    got = stream.read_until(expected[-1])
    assert [e.index for e in got] == expected
    assert stream.retry == 2000
    assert all(e.data["index"] == e.index for e in got)
    actions = [e.data["action"] for e in got]
    assert "trades.insert" in actions and "trade_transitions.insert" in actions
    move = [e.data for e in got if e.data["action"] == "trade_transitions.insert"][-1]
    assert move["trade"] == trade.id and move["ref"] == trade.ref and move["centre"] == trade.centre_id
    assert move["after"]["to_state"] == "submitted" and move["actor"]["username"] == "staff"
    assert "origin" not in move and "prev" not in move  # the request's address is not broadcast
    stream.close()


def test_a_change_made_through_http_arrives(db, users, make_trade, client, serve):
    """The committing request's own process wakes the fetcher at once."""
    import http.client

    trade = make_trade()
    headers = bearer(client, "supervisor")
    staff = bearer(client, "staff")
    server = serve()
    stream = SSE(server.port, "/live/platform", headers)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("PATCH", f"/api/v1/trades/{trade.id}", body='{"title": "Road works lot 1 (renamed)"}',
                 headers={**staff, "Content-Type": "application/json"})
    assert conn.getresponse().status == 200
    got = stream.read(1, timeout=5)
    assert got[0].data["action"] == "trades.update" and got[0].data["after"]["title"] == "Road works lot 1 (renamed)"
    stream.close()


def test_session_cookie_is_enough_for_a_page(db, users, make_trade, serve):
    import http.client

    server = serve()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/login", body="username=supervisor&password=test-pass-123",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    assert response.status == 302
    cookie = response.getheader("Set-Cookie").split(";")[0]
    stream = SSE(server.port, "/live/platform", {"Cookie": cookie})
    trade = make_trade()  # a draft: only the centre's branches see it
    assert stream.read(1, timeout=5)[0].data["trade"] == trade.id
    stream.close()


# ---- resuming ----------------------------------------------------------------------------------------

def test_resume_with_last_event_id_loses_and_repeats_nothing(db, users, make_trade, client, serve):
    headers = bearer(client, "supervisor")
    server = serve()
    start = head()
    first = SSE(server.port, "/live/platform", headers)
    t1 = make_trade(title="Before the break")
    seen = first.read_until(visible_after(users["supervisor"], start - 1)[-1])
    last = seen[-1].index
    first.close()

    # while nobody listens: more changes
    trades.move(t1, "submit", users["staff"])
    db.session.commit()
    make_trade(title="During the break")
    missed = visible_after(users["supervisor"], last)
    assert len(missed) >= 3

    again = SSE(server.port, "/live/platform", {**headers, "Last-Event-ID": str(last)})
    got = again.read_until(missed[-1])
    assert [e.index for e in got] == missed  # exactly the missed ones, in order
    make_trade(title="After the break")
    fresh = visible_after(users["supervisor"], missed[-1])
    got2 = again.read_until(fresh[-1])
    assert [e.index for e in got2] == fresh
    indexes = [e.index for e in seen + got + got2]
    assert indexes == sorted(set(indexes)) == visible_after(users["supervisor"], start - 1)
    assert again.quiet(0.5) == []
    again.close()

    # ?after= does the same for clients that are not browsers; Last-Event-ID wins over it
    third = SSE(server.port, f"/live/platform?after={last}", headers)
    assert [e.index for e in third.read_until(fresh[-1])] == missed + fresh
    third.close()
    fourth = SSE(server.port, "/live/platform?after=0", {**headers, "Last-Event-ID": str(missed[-1])})
    assert [e.index for e in fourth.read_until(fresh[-1])] == fresh
    fourth.close()


def test_bad_resume_points_are_refused(db, users, client, serve):
    server = serve()
    for bad in ("abc", "-5", "1.5"):
        stream = SSE(server.port, f"/live/platform?after={bad}")
        assert stream.status == 400
        stream.close()


def _writer(app, ids: dict, trades_by_centre: dict, count: int, seed: int, done: threading.Event):
    """Appends `count` entries in random transactions: random actor, audience, centre; tiny pauses."""
    from trading.extensions import db
    from trading.trades.models import Trade

    rnd = random.Random(seed)
    try:
        with app.app_context():
            people = {name: db.session.get(User, uid) for name, uid in ids.items()}
            tr = {code: db.session.get(Trade, tid) for code, tid in trades_by_centre.items()}
            written = 0
            while written < count:
                for _ in range(rnd.choice((1, 1, 1, 2, 3))):
                    actor = people[rnd.choice(list(people))]
                    trade = rnd.choice((tr["WORKS"], tr["PROC"], None))
                    audience = rnd.choice(("public", "centre", "centre", "platform"))
                    audit.record("test.interleave", obj={"type": "test", "id": written}, trade=trade, actor=actor,
                                 audience=audience)
                    written += 1
                db.session.commit()
                time.sleep(rnd.random() * 0.004)
            db.session.remove()
    finally:
        done.set()


@pytest.mark.parametrize("seed,viewer", [(1, "supervisor"), (2, None), (3, "bidder"), (4, "staff_proc"),
                                         (5, "supervisor"), (6, "decider")])
def test_random_interleavings_of_writes_disconnects_and_resumes(seed, viewer, app, db, users, centres,
                                                                make_trade, client, serve):
    """A writer thread appends while the reader drops and resumes at random points (Last-Event-ID or
    ?after=); the indexes received, end to end, are exactly the visible ones, each once, in order."""
    rnd = random.Random(seed)
    headers = bearer(client, viewer) if viewer else {}
    works = make_trade()
    proc = proc_trade(users, centres, make_trade)
    server = serve()
    start = head()
    user = users[viewer] if viewer else None
    ids = {n: users[n].id for n in ("staff", "staff_proc", "bidder", "supervisor", "decider", "tenderer")}
    done = threading.Event()
    writer = threading.Thread(target=_writer, args=(app, ids, {"WORKS": works.id, "PROC": proc.id}, 300, seed, done))
    stream = SSE(server.port, f"/live/platform?after={start - 1}", headers)
    writer.start()
    received: list[int] = []
    reconnects = 0
    while not done.is_set() or rnd.random() < 0.3:
        choice = rnd.random()
        if choice < 0.25:
            stream.close()
            last = received[-1] if received else start - 1
            how = {"Last-Event-ID": str(last)} if rnd.random() < 0.5 else {}
            path = "/live/platform" if how else f"/live/platform?after={last}"
            if rnd.random() < 0.3:
                time.sleep(rnd.random() * 0.05)  # stay away a little while the writer goes on
            stream = SSE(server.port, path, {**headers, **how})
            reconnects += 1
        else:
            received += [e.index for e in stream.quiet(rnd.random() * 0.03)]
    writer.join(timeout=30)
    expected = visible_after(user, start - 1)
    if expected:
        if not received or received[-1] < expected[-1]:
            received += [e.index for e in stream.read_until(expected[-1])]
    received += [e.index for e in stream.quiet(0.4)]
    stream.close()
    assert reconnects >= 3
    assert len(received) == len(set(received)), "an event was repeated"
    assert received == expected, "an event was lost, repeated or out of order"
    # and the Python rule agrees with the SQL one for every entry written
    rows = db.session.execute(sa.select(AuditEntry).where(AuditEntry.seq >= start)).scalars()
    assert [r.seq for r in rows if visible_to(user, r.audience, r.centre_id, r.actor_id)] == expected


# ---- filtering ----------------------------------------------------------------------------------------

def test_each_viewer_receives_what_they_may_see_and_nothing_else(db, users, centres, make_trade, client, serve):
    headers = {name: bearer(client, name) for name in ("supervisor", "bidder", "staff")}
    server = serve()
    start = head()
    streams = {"anonymous": SSE(server.port, "/live/platform")}
    streams.update({name: SSE(server.port, "/live/platform", h) for name, h in headers.items()})

    draft_proc = proc_trade(users, centres, make_trade)  # PROC, not public
    draft_works = make_trade(title="Works draft")  # WORKS, not public
    published = make_trade(**tender_timeline(START), title="Published works")
    for move, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        trades.move(published, move, users[who])
    db.session.commit()
    audit.record("read.bidders", obj={"type": "trade", "id": published.id}, trade=published, actor=users["bidder"])
    audit.record("test.platform_only", obj={"type": "user", "id": users["bidder"].id}, audience="platform")
    db.session.commit()
    end = head() - 1

    got = {}
    for name, stream in streams.items():
        user = users.get(name)
        expected = visible_after(user, start - 1)
        got[name] = stream.read_until(expected[-1]) + stream.quiet(0.3)
        assert [e.index for e in got[name]] == expected, name
        stream.close()
    entries = {r.seq: r for r in db.session.scalars(sa.select(AuditEntry).where(AuditEntry.seq >= start))}

    # anonymous: the public entries only, without who acted
    assert {entries[e.index].audience for e in got["anonymous"]} == {"public"}
    assert all(e.data["actor"] is None for e in got["anonymous"])
    assert {e.data["trade"] for e in got["anonymous"]} == {published.id}
    # the WORKS supervisor: nothing of PROC's draft; the WORKS draft and the platform entries yes
    sup = {e.index for e in got["supervisor"]}
    assert not any(entries[i].centre_id == centres["PROC"].id and entries[i].audience != "public" for i in sup)
    assert draft_proc.id not in {e.data["trade"] for e in got["supervisor"]}
    assert draft_works.id in {e.data["trade"] for e in got["supervisor"]}
    assert any(e.data["action"] == "test.platform_only" for e in got["supervisor"])
    # WORKS staff: their centre, but not the platform-only entry (not a supervisor or decider)
    assert not any(e.data["action"] == "test.platform_only" for e in got["staff"])
    assert draft_proc.id not in {e.data["trade"] for e in got["staff"]}
    # the bidder: public entries and their own, nothing else
    own = [e for e in got["bidder"] if entries[e.index].audience != "public"]
    assert own and all(entries[e.index].actor_id == users["bidder"].id for e in own)
    assert draft_works.id not in {e.data["trade"] for e in got["bidder"]}
    assert end in {e.index for e in got["supervisor"]}


def test_scopes_and_unknown_or_hidden_targets(db, users, centres, make_trade, client, serve):
    headers = bearer(client, "supervisor")
    server = serve()
    start = head()
    works_trade = make_trade()
    other = make_trade(title="Another WORKS trade")
    proc = proc_trade(users, centres, make_trade)
    by_trade = SSE(server.port, f"/live/trades/{works_trade.id}?after={start - 1}", headers)
    by_centre = SSE(server.port, f"/live/centres/{centres['PROC'].id}?after={start - 1}", headers)
    trades.move(works_trade, "submit", users["staff"])
    trades.move(other, "submit", users["staff"])
    trades.move(proc, "submit", users["staff_proc"])
    db.session.commit()

    scope = Scope(trade_id=works_trade.id)
    expected = visible_after(users["supervisor"], start - 1, scope)
    got = by_trade.read_until(expected[-1]) + by_trade.quiet(0.3)
    assert [e.index for e in got] == expected and {e.data["trade"] for e in got} == {works_trade.id}
    # PROC's entries are not public (drafts): the WORKS supervisor gets nothing on PROC's stream
    assert visible_after(users["supervisor"], start - 1, Scope(centre_id=centres["PROC"].id)) == []
    assert by_centre.quiet(0.6) == []
    by_trade.close()
    by_centre.close()

    for path, status, hdrs in (
        ("/live/trades/999999", 404, headers),
        ("/live/centres/999999", 404, headers),
        (f"/live/trades/{works_trade.id}", 404, {}),  # a draft: anonymous may not know it exists
        (f"/live/trades/{proc.id}", 404, headers),  # another centre's draft
        ("/live/platform", 401, {"Authorization": "Bearer not-a-token"}),
        (f"/live/centres/{centres['PROC'].id}", 200, {}),  # a centre is public: its public entries
    ):
        stream = SSE(server.port, path, hdrs)
        assert stream.status == status, path
        stream.close()


# ---- bounds ----------------------------------------------------------------------------------------

def test_a_stream_ends_when_its_client_leaves_and_the_fetcher_stops_when_idle(app, db, users, make_trade, client,
                                                                            serve):
    server = serve()
    hub = hub_for(app)
    streams = [SSE(server.port, "/live/platform", bearer(client, "supervisor")) for _ in range(5)]
    make_trade()
    for s in streams:
        s.read(1, timeout=5)
    assert hub.count() == 5 and hub.thread is not None
    for s in streams:
        s.close()
    wait_for(lambda: hub.count() == 0, 5, "every stream ended")  # noticed at the next heartbeat
    wait_for(lambda: hub.thread is None, 5, "the fetcher thread stopped")
    stream = SSE(server.port, "/live/platform", bearer(client, "supervisor"))  # and starts again
    make_trade(title="Again")
    assert stream.read(1, timeout=5)[0].data["action"] == "trades.insert"
    stream.close()


def test_a_stream_ends_after_its_lifetime_and_resumes(app, db, users, make_trade, client, serve):
    app.config.update(FAST, LIVE_MAX_SECONDS=1.0)
    server = serve()
    headers = bearer(client, "supervisor")
    start = head()
    stream = SSE(server.port, "/live/platform", headers)
    make_trade()
    got = stream.read_until(visible_after(users["supervisor"], start - 1)[-1])
    # the server ends it (not the client): with the default lifetime (600 s) nothing would end it here
    while stream.read_event(30) is not None:
        pass
    assert stream.closed_by_server
    again = SSE(server.port, "/live/platform", {**headers, "Last-Event-ID": str(got[-1].index)})
    make_trade(title="Later")
    assert again.read(1, timeout=5)[0].index == got[-1].index + 1
    again.close()


def test_streams_beyond_the_limit_are_told_to_retry_later(app, db, users, serve):
    app.config.update(FAST, LIVE_MAX_STREAMS=2, LIVE_BUSY_RETRY_MS=9000)
    server = serve()
    a, b = SSE(server.port, "/live/platform"), SSE(server.port, "/live/platform")
    wait_for(lambda: hub_for(app).count() == 2, 3, "two streams")
    c = SSE(server.port, "/live/platform")
    assert c.status == 200 and c.read_event(3) is None and c.retry == 9000 and "busy" in c.comments
    for s in (a, b, c):
        s.close()


def test_a_stream_that_lags_too_far_is_cut_after_what_it_holds(app, db):
    """Its client then resumes from the database with Last-Event-ID: nothing lost."""
    sub = Subscriber(Viewer(None), Scope(), limit=3)
    base = 10 ** 6  # beyond the log: the backlog is empty
    evs = [Event(base + i, "public", None, None, None, (b"", b"id: %d\ndata: {}\n\n" % (base + i))) for i in range(6)]
    for ev in evs:
        sub.offer(ev)
    assert sub.cut
    hub = hub_for(app)
    hub.subscribers.add(sub)
    body = b"".join(events(app, hub, sub, after=base - 1))
    assert body.startswith(b"retry:") and b"id: %d\n" % (base + 2) in body and b"id: %d\n" % (base + 3) not in body
    assert sub not in hub.subscribers


def test_entries_the_viewer_may_not_see_never_reach_their_queue(app, db, users, centres):
    sub = Subscriber(Viewer(users["supervisor"]), Scope())
    proc = centres["PROC"].id
    sub.offer(Event(1, "centre", proc, 5, None, (b"x", b"y")))
    sub.offer(Event(2, "public", proc, 5, None, (b"x", b"y")))
    sub.offer(Event(3, "centre", centres["WORKS"].id, 6, None, (b"x", b"y")))
    assert [sub.queue.get_nowait().index for _ in range(sub.queue.qsize())] == [2, 3]


def test_the_fan_out_filters_once_per_audience_and_keeps_each_viewers_own_entries(app, db, users, make_user,
                                                                                 make_org, centres):
    """Streams of one audience share one batch per read; a viewer's own entry reaches that viewer alone,
    in order with the rest."""
    from monitor.live.hub import Hub
    from trading.accounts.models import OrgKind
    from trading.accounts.roles import Role

    other = make_user("bidder_b", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, "Second Bidder Co."))
    db.session.commit()
    hub = Hub(app)
    subs = {name: Subscriber(Viewer(user), Scope()) for name, user in
            (("bidder", users["bidder"]), ("bidder_b", other), ("sup", users["supervisor"]),
             ("sup2", users["supervisor"]))}
    try:
        for sub in subs.values():
            assert hub.subscribe(sub)
        base, works = 10 ** 6, centres["WORKS"].id
        evs = [Event(base, "centre", works, 7, users["bidder"].id, (b"own|", b"-")),
               Event(base + 1, "public", works, 7, None, (b"public|", b"-")),
               Event(base + 2, "centre", works, 7, None, (b"centre|", b"-"))]
        with hub.lock:
            hub._fan_out(evs)
        got = {name: sub.queue.get_nowait() for name, sub in subs.items()}
        assert all(sub.queue.empty() for sub in subs.values())
        assert got["bidder"].data == b"own|public|" and got["bidder_b"].data == b"public|"
        assert got["sup"].data == b"own|public|centre|" and got["sup"] is got["sup2"]  # made once for both
    finally:
        hub.stop()


# ---- several apps or processes on one SQLite file -----------------------------------------------------

def test_two_apps_on_one_sqlite_file_deliver_each_others_events(app, make_app, db, users, make_trade, client, serve):
    """The stream is served by app B; the change is committed through app A: B finds it by checking
    the head (nothing in-process wakes B)."""
    other = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], **FAST)
    server_b = serve(other)
    start = head()
    stream = SSE(server_b.port, "/live/platform", bearer(client, "supervisor"))
    make_trade()  # committed through app A (this test's app context)
    expected = visible_after(users["supervisor"], start - 1)
    got = stream.read_until(expected[-1], timeout=30)
    assert [e.index for e in got] == expected
    assert hub_for(app).thread is None  # A serves no stream: B did the reading
    stream.close()


def test_a_commit_in_another_process_reaches_the_stream(app, db, users, client, serve, tmp_path):
    server = serve()
    stream = SSE(server.port, "/live/platform", bearer(client, "supervisor"))
    start = head()
    script = textwrap.dedent(f"""
        from trading import create_app
        from trading.config import TestConfig
        from trading.extensions import db
        from monitor.audit import log as audit
        app = create_app(type("Other", (TestConfig,), {{
            "SQLALCHEMY_DATABASE_URI": {app.config["SQLALCHEMY_DATABASE_URI"]!r},
            "BLOB_DIR": {str(tmp_path / "blobs2")!r}}}))
        with app.app_context():
            for i in range(3):
                audit.record("test.other_process", obj={{"type": "test", "id": i}}, audience="platform")
                db.session.commit()
    """)
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
    got = stream.read(3, timeout=5)
    assert [e.index for e in got] == [start, start + 1, start + 2]
    assert {e.data["action"] for e in got} == {"test.other_process"}
    stream.close()


def test_the_fetcher_reads_each_entry_once_for_all_streams(app, db, users, make_trade, client, serve):
    server = serve()
    headers = bearer(client, "supervisor")
    streams = [SSE(server.port, "/live/platform", headers) for _ in range(20)]
    wait_for(lambda: hub_for(app).count() == 20, 3, "twenty streams")
    hub = hub_for(app)
    before = hub.fetches
    make_trade()
    expected = visible_after(users["supervisor"], head() - 10)
    for s in streams:
        assert [e.index for e in s.read_until(expected[-1])][-1] == expected[-1]
        s.close()
    assert 1 <= hub.fetches - before <= 3  # one read per commit, not one per stream


def _heartbeat_heard(stream: SSE) -> bool:
    try:
        event = stream.read_event(0.2)
    except TimeoutError:  # no event: the comments read meanwhile are kept
        event = None
    assert event is None, "no event was due"
    return "heartbeat" in stream.comments


def test_clock_is_frozen_but_streams_keep_time(clock, app, db, users, make_trade, client, serve):
    """Heartbeats and lifetimes use the process's monotonic clock, not the platform's (frozen in tests)."""
    server = serve()
    stream = SSE(server.port, "/live/platform", bearer(client, "supervisor"))
    # nothing happens: a heartbeat comes although the platform's clock stands still
    wait_for(lambda: _heartbeat_heard(stream), 30, "a heartbeat under the frozen clock")
    clock.advance(timedelta(days=3))
    make_trade(**tender_timeline(START + timedelta(days=4)))
    assert stream.read(1, timeout=30)
    stream.close()


# ---- the hub's writer sends the events -------------------------------------------------------------

def test_streams_hand_their_sockets_to_the_writer_which_sends_every_event(app, db, users, make_trade, client,
                                                                          serve):
    """After its backlog a stream's thread sleeps: the hub's one writer thread puts each event on every
    socket (an event wakes one thread, not one per stream), chunked as the server frames the body;
    a client hanging up is heard at once, not at the next heartbeat."""
    app.config.update(LIVE_HEARTBEAT_SECONDS=600.0)  # no heartbeat can be what ends the streams below
    server = serve()
    hub = hub_for(app)
    headers = bearer(client, "supervisor")
    start = head()
    streams = [SSE(server.port, "/live/platform", headers) for _ in range(5)]
    wait_for(lambda: hub.writer is not None and len(hub.writer.outlets) == 5, 5, "five sockets handed over")
    assert all(s.chunked for s in streams)
    make_trade()
    expected = visible_after(users["supervisor"], start - 1)
    for s in streams:
        assert [e.index for e in s.read_until(expected[-1])] == expected
    assert {t.name for t in threading.enumerate()} >= {"live-writer", "live-fetcher"}
    for s in streams:
        s.close()
    wait_for(lambda: hub.count() == 0 and not hub.writer.outlets, 5, "every stream ended on the hang-up")
