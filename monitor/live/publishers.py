"""Publishers: how "the log grew" travels from the appending transaction to every process's hub.

- in the committing process, at once (`audit.AFTER_COMMIT_HOOKS`, monitor/live/hub.py), whatever the
  database;
- `LocalPublisher` (SQLite, the embedded default): each process also checks the head's size every
  LIVE_POLL_SECONDS, so worker processes sharing one file deliver each other's events;
- `PostgresPublisher`: `pg_notify` inside the appending transaction (`audit.IN_TRANSACTION_HOOKS`),
  heard by one LISTEN thread per process on a connection of its own; a slow poll stays as a net.
"""
from __future__ import annotations

import logging
import threading

import sqlalchemy as sa
from flask import Flask

from trading.extensions import db

log = logging.getLogger(__name__)

#: the PostgreSQL channel that carries "the log grew to <size>"
CHANNEL = "audit_log"


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

