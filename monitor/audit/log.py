"""The audit log: every state change becomes a leaf of an RFC 9162 tree in the same transaction.

Capture is generic: after each flush, every inserted, updated or deleted row of an audited table
becomes an entry (canonical JSON: actor, role, branch, action, object, before/after, time, origin),
appended with its leaf hash, the newly complete node hashes and the new head, through the flush's
own connection. A rollback therefore takes the entries with it, and nothing is logged that did
not happen. Sensitive reads arrive as signals and are appended the same way.

The parts: entries.py (what an entry says), capture.py (rows after a flush), bulk.py (bulk statements),
writes.py (appending), tree.py (reading the tree), checkpoints.py (signing). This module wires them
to the sessions and signals and re-exports the names the rest of the platform uses, so callers keep
`from monitor.audit import log as audit`.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.audit.models import AuditEntry, AuditHead, AuditNode, Checkpoint, Countersignature
from monitor.audit.entries import (AFTER_COMMIT_HOOKS, FORMAT, IN_TRANSACTION_HOOKS, KEY_MOVES, MAX_VALUE,  # noqa: F401
    NOISE_COLUMNS, PLATFORM_TABLES, PUBLIC_TABLES, ROLE_ORDER, SEALED, SECRET_COLUMNS, SKIP_TABLES, TRADE_OF,
    TRADE_PARENTS, UNNAMED_ROLES, ZERO, acting_as, actor_name, actor_role, canonical, current_actor, iso, jsonable,
    origin, pseudonym, role_of)
from monitor.audit.writes import AppendOnly, _refuse_row_rewrite, append, request_checkpoint  # noqa: F401
from monitor.audit.capture import _after_flush, entry_index_of, record  # noqa: F401
from monitor.audit.bulk import UNLOGGED, Unlogged, _flush_begins, _flush_ends, _on_execute, guard_engine  # noqa: F401
from monitor.audit.tree import consistency, head, inclusion, root_at, subtree_reader  # noqa: F401
from monitor.audit.checkpoints import (checkpoint_json, key_id, latest_checkpoint, log_origin,  # noqa: F401
    public_key_info, scheduled_checkpoint, sign_checkpoint, signing_key)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # releasing a SAVEPOINT commits nothing yet
        return
    session.info.pop("audit_rows", None)
    size = session.info.pop("audit_size", None)
    session.info.pop("audit_checkpoint", None)
    if size is not None:
        for hook in AFTER_COMMIT_HOOKS:
            hook(size)


def _after_rollback(session: Session) -> None:
    session.info.pop("audit_facts", None)
    session.info.pop("audit_rows", None)
    session.info.pop("audit_size", None)
    session.info.pop("audit_checkpoint", None)


def _before_commit(session: Session) -> None:
    reason = session.info.get("audit_checkpoint")
    if reason and not session.info.get("audit_off"):
        session.flush()
        session.info.pop("audit_checkpoint", None)
        sign_checkpoint(reason, session=session)


def install() -> None:
    """Attach capture to every Flask-SQLAlchemy session (once per process)."""
    from flask_sqlalchemy.session import Session as FSASession

    if sa.event.contains(FSASession, "after_flush", _after_flush):
        return
    sa.event.listen(FSASession, "after_flush", _after_flush)
    sa.event.listen(FSASession, "before_commit", _before_commit)
    sa.event.listen(FSASession, "after_commit", _after_commit)
    sa.event.listen(FSASession, "after_soft_rollback", lambda s, t: None if t.nested else _after_rollback(s))

    sa.event.listen(FSASession, "do_orm_execute", _on_execute)
    sa.event.listen(FSASession, "before_flush", _flush_begins)
    sa.event.listen(FSASession, "after_flush_postexec", _flush_ends)
    sa.event.listen(FSASession, "after_soft_rollback", _flush_ends)
    sa.event.listen(FSASession, "after_transaction_end", _flush_ends)  # also when a before_flush hook raised
    for model in (AuditEntry, AuditNode, Checkpoint, Countersignature):
        sa.event.listen(model, "before_update", _refuse_row_rewrite)
        sa.event.listen(model, "before_delete", _refuse_row_rewrite)

    @sa.event.listens_for(AuditHead.__table__, "after_create")
    def _seed_head(target, connection, **_kw):
        connection.execute(target.insert().values(id=1, size=0, frontier=b"", last_leaf=ZERO))


# ---- listeners ----------------------------------------------------------------------------------

def on_trade_moved(trade, move: str, **_kw) -> None:
    """Key moves (deadline, opening, award...) get a signed checkpoint when their transaction commits."""
    if move in KEY_MOVES:
        request_checkpoint(f"move:{move}")


def on_sensitive_read(trade, viewer=None, what: str = "", **_kw) -> None:
    """Reading a confidential list is itself logged (the view commits it)."""
    record(f"read.{what}"[:64], obj={"type": "trade", "id": trade.id}, trade=trade, actor=viewer)


def connect_listeners() -> None:
    from trading.signals import audit_position, sensitive_read, trade_moved

    trade_moved.connect(on_trade_moved)
    sensitive_read.connect(on_sensitive_read)
    audit_position.connect(lambda row, **_kw: entry_index_of(row), weak=False)
