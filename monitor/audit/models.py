"""The audit log's tables: entries (the leaves), stored node hashes, the head, signed checkpoints."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trading.clock import now
from trading.extensions import db
from trading.signing.models import SignedAct
from trading.types import UTCDateTime


class AuditEntry(db.Model):
    """One leaf: `body` is the canonical JSON that was hashed; the other columns only index it.

    The columns beside `body` (trade, centre, actor, audience) are copies kept for filtering
    live streams and pages; verification never trusts them.
    """

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0-based leaf index
    leaf_hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    body: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(sa.String(64))
    trade_id: Mapped[int | None] = mapped_column(index=True)  # no foreign key: the log outlives rows
    centre_id: Mapped[int | None] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    audience: Mapped[str] = mapped_column(sa.String(16))  # public, centre, platform


class AuditNode(db.Model):
    """The hash of a complete subtree: leaves [idx << level, (idx + 1) << level), level >= 1."""

    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class AuditHead(db.Model):
    """The one row every append locks: the tree size, its frontier, and the last leaf hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    frontier: Mapped[bytes] = mapped_column(sa.LargeBinary, default=b"")  # 32-byte hashes, largest first
    last_leaf: Mapped[bytes] = mapped_column(sa.LargeBinary(32), default=bytes(32))


class Checkpoint(db.Model):
    """A signed statement of the log's size and root at a time (Ed25519 over `body`)."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    root: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    reason: Mapped[str] = mapped_column(sa.String(32))
    body: Mapped[str] = mapped_column(sa.Text)
    key_id: Mapped[str] = mapped_column(sa.String(32))
    signature: Mapped[bytes] = mapped_column(sa.LargeBinary(64))


class Countersignature(SignedAct, db.Model):
    """A supervisor vouching for a checkpoint; the act itself is an audit entry (`entry_seq`)."""

    __tablename__ = "audit_countersignatures"
    __table_args__ = (sa.UniqueConstraint("checkpoint_id", "user_id", name="uq_audit_countersignatures_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_checkpoints.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    entry_seq: Mapped[int | None] = mapped_column()


#: the log's tables refuse UPDATE and DELETE in the database itself (the app refuses them too)
APPEND_ONLY = ("audit_entries", "audit_nodes", "audit_checkpoints", "audit_countersignatures")


def append_only_ddl(dialect: str, tables: tuple[str, ...] = APPEND_ONLY) -> list[str]:
    """Triggers that make the log's tables append-only, for SQLite and PostgreSQL."""
    out = []
    if dialect == "postgresql":
        out.append("CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ BEGIN "
                   "RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME; "
                   "END; $$ LANGUAGE plpgsql")
        for table in tables:
            out.append(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")
    elif dialect == "sqlite":
        for table in tables:
            for op in ("UPDATE", "DELETE"):
                out.append(f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
    return out


def _install_triggers(target, connection, **_kw) -> None:
    for statement in append_only_ddl(connection.dialect.name, (target.name,)):
        connection.execute(sa.text(statement))  # text() escapes plpgsql's '%' for psycopg


for _table in APPEND_ONLY:
    sa.event.listen(db.Model.metadata.tables[_table], "after_create", _install_triggers)
