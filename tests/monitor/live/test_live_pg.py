"""The PostgreSQL publisher: two app objects on one PostgreSQL database (as two worker processes
would be); a change committed through one reaches a stream served by the other through
LISTEN/NOTIFY (the safety-net poll is set to a minute, so only NOTIFY can be that fast)."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from monitor.audit import log as audit
from monitor.live.hub import hub_for
from monitor.live.publishers import PostgresPublisher
from monitor.audit.models import AuditEntry
from monitor.audit.visibility import visible_clause
from tests.monitor.live.live_support import SSE, Server
from tests.pg import PostgresServer
from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.extensions import db

pytestmark = pytest.mark.postgres
SLOW_POLL = {"LIVE_PG_POLL_SECONDS": 60.0, "LIVE_POLL_SECONDS": 60.0, "LIVE_HEARTBEAT_SECONDS": 0.3,
             "LIVE_IDLE_SECONDS": 1.0}


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def pg_apps(postgres, clock, tmp_path):
    """Two app objects on one fresh PostgreSQL database, its schema made by the migrations."""
    import flask_migrate

    from trading import create_app
    from trading.centres.data import ensure_centres
    from trading.config import TestConfig

    url = postgres.create_database(f"live_{int(time.time() * 1000) % 10 ** 9}")
    config = type("PgLiveConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "BLOB_DIR": str(tmp_path / "blobs"),
                                                  **SLOW_POLL})
    apps = [create_app(config), create_app(config)]
    with apps[0].app_context():
        flask_migrate.upgrade()
        ensure_centres()
        db.session.commit()
    yield apps
    for app in apps:
        hub_for(app).stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_notify_carries_events_between_two_apps_on_one_postgresql_database(pg_apps):
    from trading.accounts.services import create_user, issue_token
    from trading.centres.models import Centre

    writer, reader = pg_apps
    with writer.app_context():
        works = db.session.scalar(sa.select(Centre).where(Centre.code == "WORKS"))
        proc = db.session.scalar(sa.select(Centre).where(Centre.code == "PROC"))
        supervisor = create_user("pg_supervisor", "test-pass-123", "PG Supervisor", None,
                                 [(Role.ADMIN_SUPERVISOR, works.id)], email="pgs@test.invalid")
        token, _row = issue_token(supervisor)
        db.session.commit()
        works_id, proc_id, supervisor_id = works.id, proc.id, supervisor.id

    server = Server(reader)
    try:
        assert isinstance(hub_for(reader).publisher, PostgresPublisher)
        headers = {"Authorization": f"Bearer {token}"}
        stream = SSE(server.port, "/live/platform", headers)
        time.sleep(0.5)  # the listener's LISTEN is in place (it also re-reads once when it is)
        with writer.app_context():
            start = audit.head()[0]
            for i in range(5):
                audit.record("test.pg", obj={"type": "test", "id": i}, audience="centre",
                             trade=SimpleNamespace(id=None, centre_id=works_id if i % 2 == 0 else proc_id))
                db.session.commit()
            expected = list(db.session.scalars(sa.select(AuditEntry.seq).where(
                AuditEntry.seq >= start, visible_clause(db.session.get(User, supervisor_id)))
                .order_by(AuditEntry.seq)))
        t0 = time.monotonic()
        got = stream.read_until(expected[-1], timeout=5)
        assert time.monotonic() - t0 < 3, "NOTIFY, not the one-minute poll, brought them"
        assert [e.index for e in got] == expected == [start, start + 2, start + 4]  # WORKS only
        assert hub_for(writer).thread is None  # the writer serves no stream: the reader fetched

        # resuming works the same on PostgreSQL
        stream.close()
        with writer.app_context():
            audit.record("test.pg", obj={"type": "test", "id": 99}, audience="platform")
            db.session.commit()
            last = audit.head()[0] - 1
        again = SSE(server.port, "/live/platform", {**headers, "Last-Event-ID": str(expected[-1])})
        assert [e.index for e in again.read_until(last, timeout=5)] == [last]
        assert again.quiet(0.3) == []
        again.close()
    finally:
        server.stop()
