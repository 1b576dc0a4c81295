"""Bulk statements: an UPDATE or DELETE on an audited table is logged row by row; other unseen writes are refused."""
from __future__ import annotations

import contextvars
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.audit.capture import _PEOPLE_TABLES, _describe, _names, _sealer
from monitor.audit.entries import NOISE_COLUMNS, SKIP_TABLES, _trade_id
from monitor.audit.writes import _refuse_rewrites, append
from trading.extensions import db

# ---- bulk statements ----------------------------------------------------------------------------
# An UPDATE or DELETE run as one statement (`session.execute(sa.update(Bid).where(...))`) changes rows
# no flush sees. The session's do_orm_execute hook logs it: it reads the matching rows (locked), runs
# the statement on exactly those rows, reads them again and appends one entry per changed row, all in
# the statement's transaction. Anything else that writes an audited table (a bulk INSERT, text SQL,
# driver SQL) is refused before it reaches the database (`_refuse_unseen_writes`).

class Unlogged(RuntimeError):
    """A write to an audited table that the log would not see."""


#: set while the ORM flushes, and while a bulk statement is being logged: the writes the capture sees
_flushing: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_flushing", default=False)
_bulk: contextvars.ContextVar[bool] = contextvars.ContextVar("audit_bulk", default=False)
#: mapped class per table, for the bulk statements
_MAPPERS: dict[str, Any] = {}
#: the execution option that lets a write past unlogged; only tests that play an intruder with direct
#: database access use it (tests/monitor/audit/test_audit_log.py checks that no platform module does)
UNLOGGED = "audit_unlogged"
#: statements that write a table, and the table they write
_WRITE = re.compile(r'^\s*(?:UPDATE|DELETE\s+FROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO)\s+["`]?(\w+)',
                    re.IGNORECASE)


def _audited(name: str | None) -> bool:
    return name is not None and name not in SKIP_TABLES and name in db.metadata.tables


def _mapper_of(table: sa.Table):
    if table.name not in _MAPPERS:
        _MAPPERS[table.name] = next((m for m in db.Model.registry.mappers
                                     if m.local_table.name == table.name and not m.inherits), None)
    return _MAPPERS[table.name]


def _on_execute(state) -> Any:
    """do_orm_execute: the log is append-only; bulk writes to audited tables are logged or refused."""
    _refuse_rewrites(state)
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    table = getattr(state.statement, "table", None)
    if not _audited(getattr(table, "name", None)) or state.execution_options.get(UNLOGGED):
        return None
    if state.session.info.get("audit_off"):
        token = _bulk.set(True)
        try:
            return state.invoke_statement()
        finally:
            _bulk.reset(token)
    if state.is_insert:
        raise Unlogged(f"{table.name}: add rows through the session (session.add), so that the audit log sees them")
    if isinstance(state.parameters, (list, tuple)):
        raise Unlogged(f"{table.name}: an UPDATE or DELETE by primary key lists is not logged; change the rows "
                       "through the session")
    return _logged_bulk(state, table)


def _logged_bulk(state, table: sa.Table) -> Any:
    session = state.session
    mapper = _mapper_of(table)
    if mapper is None:
        raise Unlogged(f"{table.name}: no mapped class, so its changes cannot be logged")
    statement = state.statement
    table = mapper.local_table  # an entity's statement holds an annotated copy
    names = _names(mapper)
    columns = [(p.key, p.columns[0]) for p in mapper.column_attrs if p.columns[0].table is table]
    pk_cols = list(mapper.primary_key)
    keys_of = [next(k for k, c in columns if c is pk) for pk in pk_cols]

    def read(where, lock: bool = False) -> dict[tuple, dict]:
        query = sa.select(*(c.label(k) for k, c in columns)).select_from(table).where(where)
        if lock:
            query = query.with_for_update()
        rows = session.execute(query, state.parameters or {}).mappings()
        return {tuple(row[k] for k in keys_of): dict(row) for row in rows}

    where = statement.whereclause if statement.whereclause is not None else sa.true()
    before = read(where, lock=True)
    pks = list(before)
    # the statement changes the rows just read and no other (a row committed meanwhile is not touched unlogged)
    only = pk_cols[0].in_([k[0] for k in pks]) if len(pk_cols) == 1 else sa.tuple_(*pk_cols).in_(pks)
    trade_ids = {k: _bulk_trade_id(session, mapper, table.name, k, values) for k, values in before.items()}
    token = _bulk.set(True)
    try:
        result = state.invoke_statement(statement=statement.where(only))
    finally:
        _bulk.reset(token)
    after = read(only) if state.is_update and pks else {}
    pending = []
    for key, old in before.items():
        value = _sealer(table.name, trade_ids[key], (after.get(key) or old).get)
        if state.is_delete:
            b, a = {n: value(n, old[n]) for n in names if n in old}, None
        else:
            new = after.get(key, old)
            changed = [n for n in names if n in old and n not in NOISE_COLUMNS and old[n] != new[n]]
            if not changed:
                continue
            b, a = {n: value(n, old[n]) for n in changed}, {n: value(n, new[n]) for n in changed}
        row = after.get(key, old)
        pending.append(_describe(session, table.name, "delete" if state.is_delete else "update", list(key),
                                 b, a, trade_ids[key], row.get))
    if pending:
        if table.name in _PEOPLE_TABLES:
            session.info.pop("audit_facts", None)
        append(session, pending)
    return result


def _bulk_trade_id(session: Session, mapper, table: str, key: tuple, values: dict) -> int | None:
    """The trade of a row a bulk statement changes: its trade_id, else that of its parents (as for a flush)."""
    if table == "trades":
        return values.get("id")
    if values.get("trade_id") is not None:
        return values["trade_id"]
    with session.no_autoflush:
        obj = session.get(mapper.class_, key)
    return _trade_id(table, obj) if obj is not None else None


def _flush_begins(_session, _context, _instances) -> None:
    _flushing.set(True)


def _flush_ends(_session, _context=None) -> None:
    _flushing.set(False)


def _refuse_unseen_writes(conn, _cursor, statement: str, _params, context, _many) -> None:
    """before_cursor_execute: a write to an audited table outside a flush or a logged bulk statement
    (text SQL, driver SQL, a connection of its own) never reaches the database."""
    if _flushing.get() or _bulk.get():
        return
    found = _WRITE.match(statement)
    if found is None or not _audited(found.group(1).lower()):
        return
    if context is not None and context.execution_options.get(UNLOGGED):
        return
    raise Unlogged(f"{found.group(1)}: a write the audit log would not see; change rows through the session")


def guard_engine(engine: sa.Engine) -> None:
    """Refuse unseen writes on one of the app's engines."""
    if not sa.event.contains(engine, "before_cursor_execute", _refuse_unseen_writes):
        sa.event.listen(engine, "before_cursor_execute", _refuse_unseen_writes)
