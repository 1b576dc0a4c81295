"""Appending to the log: numbering, hashing and storing entries in the caller's transaction; append-only guards."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.audit import merkle
from monitor.audit.entries import IN_TRANSACTION_HOOKS, canonical
from monitor.audit.models import APPEND_ONLY, AuditEntry
from trading.extensions import db

# ---- appending --------------------------------------------------------------------------------

class _Statements:
    """The four statements of an append, as driver SQL for one dialect: an append runs inside every
    audited transaction, so it skips building and compiling SQLAlchemy constructs each time."""

    _made: dict[tuple[str, str], _Statements] = {}

    def __init__(self, dialect) -> None:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        marks = lambda n: ", ".join([mark] * n)  # noqa: E731
        self.lock = f"UPDATE audit_head SET size = size + {mark} WHERE id = 1 RETURNING size, frontier, last_leaf"
        self.entries = ("INSERT INTO audit_entries (seq, leaf_hash, body, at, action, trade_id, centre_id, actor_id, "
                        f"audience) VALUES ({marks(9)})")
        self.nodes = f"INSERT INTO audit_nodes (level, idx, hash) VALUES ({marks(3)})"
        self.head = f"UPDATE audit_head SET frontier = {mark}, last_leaf = {mark} WHERE id = 1"
        at_type = AuditEntry.__table__.c.at.type
        self.at = lambda value: at_type.process_bind_param(value, dialect)

    @classmethod
    def of(cls, conn: sa.Connection) -> _Statements:
        key = (conn.dialect.name, conn.dialect.paramstyle)
        if key not in cls._made:
            cls._made[key] = cls(conn.dialect)
        return cls._made[key]


def _lock_head(conn: sa.Connection, count: int) -> tuple[int, list[bytes], bytes]:
    """Reserve `count` leaf numbers; the UPDATE takes the write lock first on every backend."""
    row = conn.exec_driver_sql(_Statements.of(conn).lock, (count,)).one()
    frontier = bytes(row[1] or b"")
    return row[0] - count, [frontier[i:i + 32] for i in range(0, len(frontier), 32)], bytes(row[2])


def append(session: Session, pending: list[dict]) -> int:
    """Number, hash and store `pending` entries through the session's connection; returns the last index."""
    conn = session.connection()
    sql = _Statements.of(conn)
    size, frontier, prev = _lock_head(conn, len(pending))
    entries, nodes = [], []
    for item in pending:
        body = dict(item["body"], index=size, prev=prev.hex())
        data = canonical(body)
        leaf = merkle.leaf_hash(data)
        nodes.extend(merkle.frontier_append(frontier, size, leaf))
        entries.append((size, leaf, data.decode("utf-8"), sql.at(item["at"]), item["action"][:64], item["trade_id"],
                        item["centre_id"], item["actor_id"], item["audience"]))
        prev, size = leaf, size + 1
    conn.exec_driver_sql(sql.entries, entries if len(entries) > 1 else entries[0])
    if nodes:
        conn.exec_driver_sql(sql.nodes, nodes if len(nodes) > 1 else nodes[0])
    conn.exec_driver_sql(sql.head, (b"".join(frontier), prev))
    session.info["audit_size"] = size
    for hook in IN_TRANSACTION_HOOKS:
        hook(conn, size)
    return size - 1


class AppendOnly(RuntimeError):
    """An attempt to change or remove what the log already holds."""


def _refuse_rewrites(state) -> None:
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in APPEND_ONLY:
            raise AppendOnly(f"the audit log is append-only: {table.name} cannot be changed")


def _refuse_row_rewrite(_mapper, _conn, target) -> None:
    raise AppendOnly(f"the audit log is append-only: {type(target).__tablename__} cannot be changed")


def request_checkpoint(reason: str, session: Session | None = None) -> None:
    """Sign a checkpoint when the current transaction commits (it then covers this transaction)."""
    (session or db.session).info["audit_checkpoint"] = reason
