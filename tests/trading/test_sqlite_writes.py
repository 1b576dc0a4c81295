"""SQLite writers queue on a gate per database file (trading/sqlite_writes.py), and a commit returns
only once the WAL holding it is on disk, fsynced after the write lock is given back."""
from __future__ import annotations

import os
import sqlite3
import threading

import pytest

from trading import sqlite_writes
from trading.sqlite_writes import GatedConnection


@pytest.fixture
def path(tmp_path):
    path = str(tmp_path / "gate.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.commit()
    conn.close()
    return path


def connect(path: str) -> GatedConnection:
    conn = sqlite3.connect(path, timeout=30, factory=GatedConnection, check_same_thread=False)
    conn.sync_after_commit()
    return conn


def test_a_second_writer_waits_for_the_gate_and_writes_when_the_first_commits(path, monkeypatch):
    a, b = connect(path), connect(path)
    a.execute("INSERT INTO t VALUES (1)")
    assert a._gate.lock.locked() and a.in_transaction
    queued, done = threading.Event(), threading.Event()
    acquire = sqlite_writes._Gate.acquire

    def acquire_after_saying_so(gate, timeout):
        queued.set()
        return acquire(gate, timeout)

    monkeypatch.setattr(sqlite_writes._Gate, "acquire", acquire_after_saying_so)

    def second():
        b.execute("INSERT INTO t VALUES (2)")
        b.commit()
        done.set()

    worker = threading.Thread(target=second)
    worker.start()
    assert queued.wait(5)  # the second writer asks for the gate the first one holds...
    assert not done.is_set() and a._gate.lock.locked()
    a.commit()  # ...and gets it when the first commits (not after a busy handler's sleep)
    assert done.wait(10)
    worker.join(5)
    assert sorted(r[0] for r in a.execute("SELECT x FROM t")) == [1, 2]
    assert not a._gate.lock.locked()


def test_a_commit_returns_after_the_wal_is_fsynced_outside_the_write_lock(path, monkeypatch):
    conn = connect(path)
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: the commit itself does not wait
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append((os.readlink(f"/proc/self/fd/{fd}"), conn._gate.lock.locked()))
        return real(fd)

    monkeypatch.setattr(sqlite_writes.os, "fsync", fsync)
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    assert synced == [(path + "-wal", False)]
    conn.execute("SELECT count(*) FROM t").fetchall()
    conn.commit()  # a transaction that wrote nothing waits for nothing
    assert len(synced) == 1


def test_a_savepoint_that_opened_the_transaction_gives_the_gate_back_when_released(path):
    """Python's sqlite3 begins no transaction for SAVEPOINT: releasing it commits, so the gate goes too."""
    a, b = connect(path), connect(path)
    a.execute("SAVEPOINT s")
    a.execute("INSERT INTO t VALUES (1)")
    assert a._gate.lock.locked()
    a.execute("RELEASE SAVEPOINT s")
    assert not a.in_transaction and not a._gate.lock.locked()
    b.execute("INSERT INTO t VALUES (2)")
    b.commit()
    assert sorted(r[0] for r in b.execute("SELECT x FROM t")) == [1, 2]


def test_begin_immediate_takes_the_gate_with_the_write_lock(path):
    """trading.extensions.begin_write opens the transaction with BEGIN IMMEDIATE: that is a write too,
    or a gated writer and it would each wait for the lock the other holds."""
    a, b = connect(path), connect(path)
    a.execute("BEGIN IMMEDIATE")
    assert a._gate.lock.locked() and a._held
    a.execute("INSERT INTO t VALUES (1)")
    a.commit()
    assert not a._gate.lock.locked()
    b.execute("BEGIN IMMEDIATE")
    b.rollback()
    assert not b._gate.lock.locked()




def _pool_of(uri: str, **options):
    from trading import create_app
    from trading.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SQLALCHEMY_ENGINE_OPTIONS": options})
    with app.app_context():
        assert db.session.execute(db.text("select 1")).scalar() == 1  # the app works on it
        pool = db.engine.pool
        db.session.remove()
        db.engine.dispose()
    return pool


def test_a_database_file_keeps_a_connection_per_reading_thread(tmp_path):
    """64 connections (SQLAlchemy's default 5, + 10 opened and closed again, made a burst queue for them)."""
    pool = _pool_of(f"sqlite:///{tmp_path / 'pool.sqlite'}")
    assert type(pool).__name__ == "QueuePool" and pool.size() == 64


def test_an_in_memory_database_takes_no_pool_size():
    """Its one connection (StaticPool) takes no pool size: given one, the engine would refuse to start."""
    assert type(_pool_of("sqlite://")).__name__ == "StaticPool"


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SADeprecationWarning")  # its pool class, chosen by the URL
def test_a_shared_in_memory_database_starts():
    """`mode=memory` in the URL: SQLAlchemy picks a pool of its own for it; the app starts and reads."""
    _pool_of("sqlite:///file:shared?mode=memory&uri=true")  # it reads: `select 1` answers 1


def test_a_pool_the_configuration_names_is_taken_as_it_is(tmp_path):
    from sqlalchemy.pool import NullPool

    assert type(_pool_of(f"sqlite:///{tmp_path / 'own.sqlite'}", poolclass=NullPool)) is NullPool
