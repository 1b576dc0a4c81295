"""Row capture: after each flush, every changed row of an audited table becomes an entry; `record` for the rest."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.audit.entries import (CENTRE_ROWS, FORMAT, NOISE_COLUMNS, PLATFORM_TABLES, PUBLIC_TABLES, SEALED, SECRET_COLUMNS,
    SEALED_IF, SKIP_TABLES, UNNAMED_ROLES, _centre_of, _trade, _trade_id, actor_name, actor_role, current_actor, iso, jsonable,
    origin, pseudonym)
from monitor.audit.writes import append
from trading.accounts.roles import Role
from trading.clock import now
from trading.extensions import db
from trading.signals import ROW_ACTORS

# ---- capture ----------------------------------------------------------------------------------

def _columns(obj: Any) -> list[sa.Column]:
    return list(sa.inspect(obj).mapper.columns)


#: logged column names per mapper (secrets left out)
_NAMES: dict[Any, list[str]] = {}


def _names(mapper) -> list[str]:
    names = _NAMES.get(mapper)
    if names is None:
        names = _NAMES[mapper] = [c.key for c in mapper.column_attrs if c.key not in SECRET_COLUMNS]
    return names


def _sealer(table: str, trade_id: int | None, get: Callable[[str], Any] | None = None) -> Callable[[str, Any], Any]:
    """A column value as logged: confidential identities become the trade's pseudonyms (`get` reads the
    row, for the tables sealed only when the row says so: SEALED_IF)."""
    sealed = SEALED.get(table, {})
    if table in SEALED_IF and get is not None:
        sealed = {**sealed, **SEALED_IF[table](get)}

    def value(col: str, raw: Any) -> Any:
        if col in sealed and isinstance(raw, list):
            return [pseudonym(trade_id, sealed[col], v) for v in raw]
        if col in sealed and raw is not None:
            return pseudonym(trade_id, sealed[col], raw)
        return jsonable(raw)

    return value


def _row_entry(session: Session, obj: Any, op: str) -> dict | None:
    """The entry for one flushed row, or None when nothing worth logging changed."""
    state = sa.inspect(obj)
    table = state.mapper.local_table.name
    if table in SKIP_TABLES:
        return None
    trade_id = _trade_id(table, obj)
    value = _sealer(table, trade_id, lambda n: getattr(obj, n, None))
    before: dict | None = None
    after: dict | None = None
    names = _names(state.mapper)
    if op == "insert":
        after = {n: value(n, getattr(obj, n)) for n in names}
    elif op == "delete":
        before = {n: value(n, state.attrs[n].loaded_value) for n in names
                  if state.attrs[n].loaded_value is not sa.orm.base.NO_VALUE}
    else:
        before, after = {}, {}
        changed = state.committed_state  # the attributes set since load: only they can have history
        for n in names:
            if n not in changed:
                continue
            hist = state.attrs[n].history
            if not hist.has_changes() or n in NOISE_COLUMNS:
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old == new:
                continue
            before[n], after[n] = value(n, old), value(n, new)
        if not after:
            return None
    key = state.mapper.primary_key_from_instance(obj) if op != "delete" else list(state.identity or ())
    actor = session.info[ROW_ACTORS].get(obj) if ROW_ACTORS in session.info else None
    return _describe(session, table, op, key, before, after, trade_id, lambda n: getattr(obj, n, None), actor)


def _describe(session: Session, table: str, op: str, key: list, before: dict | None, after: dict | None,
              trade_id: int | None, get: Callable[[str], Any], actor=None) -> dict:
    """The entry of one row's change, whether a flush or a bulk statement made it (`get` reads the row).
    `actor`: who made this row's change, when it is not the current actor (trading.signals.ROW_ACTORS)."""
    centre_id = _centre_of(session, trade_id) if trade_id is not None else None
    if centre_id is None:
        centre_id = get("centre_id")
    if actor is None:
        actor = current_actor()
    role = None
    if table == "trade_transitions":
        role = get("actor_role")
        if actor is None and get("actor_id") is not None:
            from trading.accounts.models import User

            with session.no_autoflush:
                actor = session.get(User, get("actor_id"))
    elif actor is not None:
        role = actor_role(session, actor, centre_id)
    if table in PLATFORM_TABLES:
        audience = "platform"
    elif (table in PUBLIC_TABLES and (table == "calendar_days" or _is_public(session, trade_id))
          and not (table in CENTRE_ROWS and CENTRE_ROWS[table](get))):
        audience = "public"
    else:
        audience = "centre"
    pk = key[0] if len(key) == 1 else [jsonable(k) for k in key]
    return _entry(action=f"{table}.{op}", obj={"type": table, "id": pk}, before=before, after=after,
                  trade_id=trade_id, centre_id=centre_id, actor=actor, role=role, audience=audience,
                  sealed=table in SEALED, session=session)


def _is_public(session: Session, trade_id: int | None) -> bool:
    trade = _trade(session, trade_id)
    return bool(trade is not None and trade.is_public)


def _entry(*, action: str, obj: dict | None, before: dict | None = None, after: dict | None = None,
           trade_id: int | None = None, centre_id: int | None = None, actor=None, role: str | None = None,
           audience: str = "centre", sealed: bool = False, at: datetime | None = None,
           session: Session | None = None) -> dict:
    """An entry not yet numbered: the body fields plus the columns that index it."""
    branch = None
    if role is not None:
        try:
            branch = Role(role).branch.value
        except ValueError:
            branch = None  # "system"
    if actor is not None and trade_id is not None and role in UNNAMED_ROLES:
        sealed = True  # a bidder acting on a trade: the same pseudonym as in the trade's bids and downloads
    actor_id = None
    if actor is not None:
        actor_id, username = actor_name(session or db.session, actor)
    if sealed and actor is not None:
        who = {"pseudonym": pseudonym(trade_id, "user", actor_id)}
    elif actor is not None:
        who = {"id": actor_id, "username": username}
    else:
        who = None
    at = at or now()
    body = {"v": FORMAT, "at": iso(at), "actor": who, "role": role, "branch": branch, "action": action,
            "object": obj, "trade": trade_id, "centre": centre_id, "before": before or None,
            "after": after or None, "origin": None if sealed else origin()}
    return {"body": body, "at": at, "action": action, "trade_id": trade_id, "centre_id": centre_id,
            "actor_id": actor_id, "audience": audience}


#: rows whose change makes the cached facts about people stale
_PEOPLE_TABLES = ("users", "role_grants")


def _after_flush(session: Session, _context) -> None:
    if session.info.get("audit_off"):
        return
    if "audit_facts" in session.info and any(getattr(o, "__tablename__", None) in _PEOPLE_TABLES
                                             for objs in (session.new, session.dirty, session.deleted)
                                             for o in objs):
        session.info.pop("audit_facts")
    pending = []
    for op, objs in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in list(objs):
            if op == "update" and not session.is_modified(obj, include_collections=False):
                continue
            entry = _row_entry(session, obj, op)
            if entry is not None:
                pending.append(entry)
    if pending:
        last = append(session, pending)
        # remember where each new row was logged, so that a receipt can cite its entry (entry_index_of)
        where = session.info.setdefault("audit_rows", {})
        for offset, entry in enumerate(pending):
            if entry["action"].endswith(".insert"):
                where[(entry["body"]["object"]["type"], entry["body"]["object"]["id"])] = last - len(pending) + 1 + offset


def entry_index_of(row) -> int | None:
    """Signal listener (trading.signals.audit_position): the index of the entry that logged `row`'s insertion."""
    state = sa.inspect(row)
    key = state.mapper.primary_key_from_instance(row)
    session = state.session
    if session is None or len(key) != 1:
        return None
    return session.info.get("audit_rows", {}).get((state.mapper.local_table.name, key[0]))


def record(action: str, *, obj: dict | None = None, trade=None, before: dict | None = None,
           after: dict | None = None, actor=None, audience: str | None = None, session: Session | None = None) -> int:
    """Append one semantic entry (a sensitive read, a countersignature...) now; returns its index.

    The caller's transaction carries it: it is kept only if the caller commits.
    """
    session = session or db.session
    actor = actor if actor is not None else current_actor()
    centre_id = getattr(trade, "centre_id", None)
    role = actor_role(session, actor, centre_id) if actor is not None else None
    entry = _entry(action=action, obj=obj, before=before, after=after, trade_id=getattr(trade, "id", None),
                   centre_id=centre_id, actor=actor, role=role, audience=audience or "centre", session=session)
    return append(session, [entry])
