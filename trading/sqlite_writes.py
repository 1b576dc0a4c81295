"""SQLite writers wait in line instead of polling.

SQLite lets one connection write at a time. A second writer gets SQLITE_BUSY and its busy handler
sleeps and retries in growing steps (1, 2, 5, 10 ... 100 ms), whether or not the lock was freed
meanwhile: under concurrent uploads most of the time went to those sleeps, with the lock free.

Here each connection takes a gate before its first write statement (the statement that makes
Python's sqlite3 open the transaction) and gives it back when the transaction ends (commit,
rollback, close). The gate is a lock per database file and process, then an exclusive `flock` on
`<database>-writer.lock` shared by every process on the file, so a waiting writer is woken the
moment the previous one commits. Readers are not gated (WAL: they never wait for the writer).

Nothing is lost when the gate cannot be taken within the connection's busy timeout (a thread that
writes through two connections at once): the statement then runs ungated and SQLite's own locking
decides, as before. The gate never replaces SQLite's locks; it only orders who asks for them.

The disk wait leaves the line too (`sync_after_commit`, for WAL databases). With SQLite's default
`synchronous=FULL` each commit waits for the disk while it holds the write lock, so commits queue
behind each other's fsync. Here the connection runs with `synchronous=NORMAL` (the commit writes the
WAL without waiting) and `commit()` gives the gate back, then fsyncs the WAL itself before it
returns: a commit still returns only once its transaction is on disk (a receipt is answered only for
a stored bid), but the waits of concurrent commits overlap and the file system joins them into one
journal flush, as it does for the blob store's files. What differs from FULL: between the commit and
its fsync (a millisecond or so) other connections can already read the transaction; were the power
to fail in that instant, they would have read a transaction the database no longer holds (the
committing request, still waiting for its fsync, has answered nothing). A checkpoint fsyncs the WAL
before copying it, so a transaction is never moved into the database file undurably.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

_guard = threading.Lock()
_gates: dict[str, _Gate] = {}


class _Gate:
    """One database file's writer lock in this process: a thread lock, then the file lock."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.fd: int | None = None
        self.pid = -1

    def acquire(self, timeout: float) -> bool:
        if not self.lock.acquire(timeout=timeout):
            return False
        try:
            if self.pid != os.getpid():  # a forked worker opens its own file description
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self.pid = os.getpid()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.lock.release()
            raise
        return True

    def release(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.lock.release()


def gate_for(database: str) -> _Gate | None:
    """The gate of a database file (None for in-memory and URI databases: nothing to share)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database) + "-writer.lock"
    with _guard:
        gate = _gates.get(path)
        if gate is None:
            gate = _gates[path] = _Gate(path)
        return gate


def _is_write(sql: str) -> bool:
    """A statement that takes SQLite's write lock: DML, or a BEGIN that takes it at once."""
    head = sql.lstrip()[:16].upper()
    return head.startswith(_WRITES) or head.startswith(("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"))


class GatedCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        self.connection._enter(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection._settle()

    def executemany(self, sql, seq_of_parameters, /):
        self.connection._enter(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection._settle()


class GatedConnection(sqlite3.Connection):
    """A sqlite3 connection (pass as `factory=`) whose write transactions take the file's gate."""

    def __init__(self, database, *args, **kwargs) -> None:
        super().__init__(database, *args, **kwargs)
        self._gate = gate_for(os.fspath(database))
        self._timeout = float(kwargs.get("timeout", args[0] if args else 5.0))
        self._held = False
        self._wal: str | None = None  # set by sync_after_commit

    def sync_after_commit(self) -> None:
        """WAL mode: commit without waiting for the disk under the write lock, then fsync the WAL
        outside it before `commit()` returns (see the module's docstring)."""
        if self._gate is None:
            return
        mode = super().execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() == "wal":
            super().execute("PRAGMA synchronous=NORMAL")
            self._wal = self._gate.path[: -len("-writer.lock")] + "-wal"

    def cursor(self, factory=GatedCursor):
        return super().cursor(factory)

    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        return self.cursor().executemany(sql, seq_of_parameters)

    def _enter(self, sql: str) -> bool:
        """Take the gate before a write that is not already inside a gated transaction."""
        if self._gate is None or self._held or not _is_write(sql):
            return False
        self._held = self._gate.acquire(self._timeout)
        return self._held

    def _settle(self) -> None:
        """After each statement: when no transaction is left (an autocommitted write, or `RELEASE` of a
        savepoint that opened the transaction, which commits it) the gate goes back."""
        if self._held and not self.in_transaction:
            self._leave()
            self._sync()

    def _sync(self) -> None:
        """Wait for the disk to hold what this connection committed (WAL mode, synchronous=NORMAL)."""
        if self._wal is None:
            return
        try:
            fd = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:  # the last connection checkpointed (fsyncing) and removed the WAL
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _leave(self) -> None:
        if self._held:
            self._held = False
            self._gate.release()

    def commit(self) -> None:
        wrote = self._held
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._leave()
        if wrote:
            self._sync()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave()
