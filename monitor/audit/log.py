"""The audit log: every state change becomes a leaf of an RFC 9162 tree in the same transaction.

Capture is generic: after each flush, every inserted, updated or deleted row of an audited table
becomes an entry (canonical JSON: actor, role, branch, action, object, before/after, time, origin),
appended with its leaf hash, the newly complete node hashes and the new head, through the flush's
own connection. A rollback therefore takes the entries with it, and nothing is logged that did
not happen. Sensitive reads arrive as signals and are appended the same way.
"""
from __future__ import annotations

import base64
import contextlib
import contextvars
import enum
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from monitor.audit import merkle
from monitor.audit.models import APPEND_ONLY, AuditEntry, AuditHead, AuditNode, Checkpoint, Countersignature
from trading.accounts.roles import Role
from trading.canonical import canonical_json
from trading.clock import now
from trading.extensions import db

FORMAT = 1
ZERO = bytes(32)
#: the longest text or JSON value kept verbatim in an entry; longer ones are kept as their SHA-256
MAX_VALUE = 512

#: tables never logged: the log itself, throttling counters, derived messages
#: (api_tokens: signing in is no trade record, and a bidder's token logged beside a pseudonymous bid
#: would name the bidder)
SKIP_TABLES = {"audit_entries", "audit_nodes", "audit_head", "audit_checkpoints", "audit_countersignatures",
               "login_attempts", "api_tokens",
               "notifications", "alembic_version"}
#: secrets that must never reach the log, by column name
SECRET_COLUMNS = {"password_hash", "token_hash", "protected_key", "sealed", "held_share", "receipt"}
#: bookkeeping that changes with every update and says nothing
NOISE_COLUMNS = {"updated_at", "version"}
#: identities that are confidential while a trade runs (bidders before the opening, downloaders):
#: the log keeps a per-trade pseudonym, so supervisors can count but not name (table -> column -> kind)
SEALED = {
    "bids": {"organisation_id": "org", "submitted_by_id": "user"},
    "downloads": {"user_id": "user", "organisation_id": "org", "contact_email": "email"},
    "opening_entries": {"organisation_id": "org"},
    "ceremony_objections": {"organisation_id": "org", "user_id": "user"},
    "bid_deposits": {"organisation_id": "org"},
}
#: roles whose people act on a trade under a pseudonym: who bids, or may bid, stays unnamed in the log
UNNAMED_ROLES = {Role.BIDDER.value, Role.PUBLIC.value}
#: tables about people and organisations rather than trades: supervisors and deciders see them
PLATFORM_TABLES = {"users", "role_grants", "api_tokens", "personal_keys", "declared_relations",
                   "organisations", "centres", "centre_methods"}
#: a public trade's changes to these tables are public (the portal shows them anyway)
PUBLIC_TABLES = {"trades", "trade_transitions", "notices", "clarifications", "documents", "calendar_days"}
#: moves after which the platform signs a checkpoint at once (deadline, opening, award...)
KEY_MOVES = {"close", "start_opening", "finish_opening", "fail", "award", "contract", "conclude", "no_deal",
             "start_timed_bidding"}

#: called inside the appending transaction with (connection, new size): e.g. PostgreSQL NOTIFY
IN_TRANSACTION_HOOKS: list[Callable[[sa.Connection, int], None]] = []
#: called after the transaction commits with the new size: e.g. waking the live streams
AFTER_COMMIT_HOOKS: list[Callable[[int], None]] = []
#: resolvers from a row to the trade it belongs to, for tables without a trade_id column
TRADE_OF: dict[str, Callable[[Any], int | None]] = {}

_acting = contextvars.ContextVar("audit_actor", default=None)

ROLE_ORDER = (Role.DECISION_MAKER, Role.CENTRE_STAFF, Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR,
              Role.TENDERER, Role.BIDDER, Role.EXPERT, Role.PUBLIC)


# ---- canonical form --------------------------------------------------------------------------

#: UTF-8 JSON, sorted keys, no white space: the exact bytes that are hashed and exported
canonical = canonical_json


def iso(moment: datetime) -> str:
    """UTC with milliseconds, e.g. 2026-03-02T01:00:00.000Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _digest(data: bytes, what: str) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), what: len(data)}


def jsonable(value: Any) -> Any:
    """A column value as JSON; long texts and blobs become their digest, money stays exact."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=timezone.utc))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return data.hex() if len(data) <= 64 else _digest(data, "bytes")
    if isinstance(value, str):
        return value if len(value) <= MAX_VALUE else _digest(value.encode("utf-8"), "chars")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list, tuple)):
        data = canonical(value) if not isinstance(value, tuple) else canonical(list(value))
        return json.loads(data) if len(data) <= MAX_VALUE else _digest(data, "bytes")
    return str(value)


# ---- who, where, about what -------------------------------------------------------------------

@contextlib.contextmanager
def acting_as(user) -> Iterator[None]:
    """Name the actor for work done outside a request (CLI commands, demo data, benchmarks)."""
    token = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(token)


def current_actor():
    """The person whose action this is: set by acting_as, else the request's logged-in user."""
    user = _acting.get()
    if user is None and has_request_context():
        user = g.get("_login_user")
    if user is not None and sa.inspect(user, raiseerr=False) is not None:
        return user  # a mapped user (asking is_authenticated would reload an expired row)
    return user if getattr(user, "is_authenticated", False) else None


# ---- facts about people and trades, cached for the session ----------------------------------------
# After a commit every loaded row is expired, and an entry needs its actor's name and role and its
# trade's centre: cached per session (a request, a CLI command), dropped when users or grants change
# or the transaction rolls back, they cost no query after the first entry.

def _facts(session: Session) -> dict:
    return session.info.setdefault("audit_facts", {})


def _user_id(user) -> int:
    state = sa.inspect(user, raiseerr=False)
    if state is not None and state.key is not None:
        return state.key[1][0]
    return user.id


def actor_name(session: Session, user) -> tuple[int, str]:
    user_id = _user_id(user)
    if user_id is None:  # not yet flushed: nothing to cache it under
        return user.id, user.username
    key = ("name", user_id)
    facts = _facts(session)
    if key not in facts:
        facts[key] = user.username
    return user_id, facts[key]


def actor_role(session: Session, user, centre_id: int | None) -> str | None:
    if _user_id(user) is None:
        return getattr(role_of(user, centre_id), "value", None)
    key = ("role", _user_id(user), centre_id)
    facts = _facts(session)
    if key not in facts:
        facts[key] = getattr(role_of(user, centre_id), "value", None)
    return facts[key]


def _centre_of(session: Session, trade_id: int) -> int | None:
    key = ("centre", trade_id)
    facts = _facts(session)
    if key not in facts:
        trade = _trade(session, trade_id)
        facts[key] = trade.centre_id if trade is not None else None
    return facts[key]


def origin() -> dict | None:
    if not has_request_context():
        return None
    return {"ip": request.remote_addr, "method": request.method, "path": request.path[:200]}


def role_of(user, centre_id: int | None) -> Role | None:
    held = user.roles_at(centre_id) if centre_id is not None else {gr.role for gr in user.grants}
    return next((r for r in ROLE_ORDER if r in held), None)


_PSEUDONYM_KEYS: dict[str | bytes, bytes] = {}


def pseudonym(trade_id: int | None, kind: str, value: Any) -> str:
    """A stable per-trade alias: equal values look equal within one trade, nothing more."""
    secret = current_app.config["SECRET_KEY"]
    key = _PSEUDONYM_KEYS.get(secret)
    if key is None:
        key = _PSEUDONYM_KEYS[secret] = hmac.new(secret.encode() if isinstance(secret, str) else secret,
                                                 b"audit pseudonym", "sha256").digest()
    mac = hmac.new(key, f"{trade_id}|{kind}|{value}".encode(), "sha256").hexdigest()
    return f"anon:{mac[:16]}"


def _trade_id(table: str, obj: Any) -> int | None:
    if table == "trades":
        return obj.id
    if table in TRADE_OF:
        return TRADE_OF[table](obj)
    return _owner_trade_id(obj, 2)


#: many-to-one relationships that lead from a row to the trade it belongs to
TRADE_PARENTS = ("ceremony", "opening_key", "document", "card", "bid", "keyholder")


def _owner_trade_id(obj: Any, depth: int) -> int | None:
    """The trade of a row: its trade_id, else that of its parent (a new row's relationships are not
    loaded while it is pending, so the parent is fetched by its foreign key)."""
    value = getattr(obj, "trade_id", None)
    if value is not None or depth == 0:
        return value
    state = sa.inspect(obj)
    for rel in state.mapper.relationships:
        if rel.key not in TRADE_PARENTS or rel.direction is not sa.orm.MANYTOONE or len(rel.local_columns) != 1:
            continue
        column = next(iter(rel.local_columns))
        prop = state.mapper.get_property_by_column(column)
        fk = getattr(obj, prop.key, None)
        owner = getattr(obj, rel.key, None) if fk is None else None
        if fk is not None and state.session is not None:
            with state.session.no_autoflush:
                owner = state.session.get(rel.mapper.class_, fk)
        if owner is not None:
            found = _owner_trade_id(owner, depth - 1)
            if found is not None:
                return found
    return None


def _trade(session: Session, trade_id: int | None):
    if trade_id is None:
        return None
    from trading.trades.models import Trade

    with session.no_autoflush:
        return session.get(Trade, trade_id)


# ---- capture ----------------------------------------------------------------------------------

def _columns(obj: Any) -> list[sa.Column]:
    return list(sa.inspect(obj).mapper.columns)


#: logged column names per mapper (secrets left out)
_NAMES: dict[Any, list[str]] = {}


def _row_entry(session: Session, obj: Any, op: str) -> dict | None:
    """The entry for one flushed row, or None when nothing worth logging changed."""
    state = sa.inspect(obj)
    table = state.mapper.local_table.name
    if table in SKIP_TABLES:
        return None
    sealed = SEALED.get(table, {})
    trade_id = _trade_id(table, obj)
    before: dict | None = None
    after: dict | None = None

    def value(col: str, raw: Any) -> Any:
        if col in sealed and raw is not None:
            return pseudonym(trade_id, sealed[col], raw)
        return jsonable(raw)

    names = _NAMES.get(state.mapper)
    if names is None:
        names = _NAMES[state.mapper] = [c.key for c in state.mapper.column_attrs if c.key not in SECRET_COLUMNS]
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
    centre_id = _centre_of(session, trade_id) if trade_id is not None else None
    if centre_id is None:
        centre_id = getattr(obj, "centre_id", None)
    actor = current_actor()
    role = None
    if table == "trade_transitions":
        role = obj.actor_role
        if actor is None and obj.actor_id is not None:
            from trading.accounts.models import User

            with session.no_autoflush:
                actor = session.get(User, obj.actor_id)
    elif actor is not None:
        role = actor_role(session, actor, centre_id)
    if table in PLATFORM_TABLES:
        audience = "platform"
    elif table in PUBLIC_TABLES and (table == "calendar_days" or _is_public(session, trade_id)):
        audience = "public"
    else:
        audience = "centre"
    key = state.mapper.primary_key_from_instance(obj) if op != "delete" else list(state.identity or ())
    pk = key[0] if len(key) == 1 else [jsonable(k) for k in key]
    return _entry(action=f"{table}.{op}", obj={"type": table, "id": pk}, before=before, after=after,
                  trade_id=trade_id, centre_id=centre_id, actor=actor, role=role, audience=audience,
                  sealed=bool(sealed), session=session)


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


def install() -> None:
    """Attach capture to every Flask-SQLAlchemy session (once per process)."""
    from flask_sqlalchemy.session import Session as FSASession

    if sa.event.contains(FSASession, "after_flush", _after_flush):
        return
    sa.event.listen(FSASession, "after_flush", _after_flush)
    sa.event.listen(FSASession, "before_commit", _before_commit)
    sa.event.listen(FSASession, "after_commit", _after_commit)
    sa.event.listen(FSASession, "after_soft_rollback", lambda s, t: None if t.nested else _after_rollback(s))

    sa.event.listen(FSASession, "do_orm_execute", _refuse_rewrites)
    for model in (AuditEntry, AuditNode, Checkpoint, Countersignature):
        sa.event.listen(model, "before_update", _refuse_row_rewrite)
        sa.event.listen(model, "before_delete", _refuse_row_rewrite)

    @sa.event.listens_for(AuditHead.__table__, "after_create")
    def _seed_head(target, connection, **_kw):
        connection.execute(target.insert().values(id=1, size=0, frontier=b"", last_leaf=ZERO))


# ---- reading the tree -------------------------------------------------------------------------

def head(session: Session | None = None) -> tuple[int, bytes]:
    """(size, root) of the committed log as this transaction sees it."""
    row = (session or db.session).execute(sa.select(AuditHead.size, AuditHead.frontier)
                                          .where(AuditHead.id == 1)).one()
    frontier = bytes(row.frontier or b"")
    return row.size, merkle.frontier_root([frontier[i:i + 32] for i in range(0, len(frontier), 32)])


def subtree_reader(session: Session | None = None) -> Callable[[int, int], bytes]:
    """`subtree(lo, hi)` answered from stored node hashes: O(log n) lookups per call."""
    session = session or db.session

    def stored(level: int, idx: int) -> bytes:
        if level == 0:
            value = session.scalar(sa.select(AuditEntry.leaf_hash).where(AuditEntry.seq == idx))
        else:
            value = session.scalar(sa.select(AuditNode.hash).where(AuditNode.level == level, AuditNode.idx == idx))
        if value is None:
            raise merkle.ProofError("the log is shorter than asked")
        return bytes(value)

    def subtree(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:  # a complete, aligned subtree: stored
            level = n.bit_length() - 1
            return stored(level, lo >> level)
        k = merkle.split(n)
        return merkle.node_hash(subtree(lo, lo + k), subtree(lo + k, hi))

    return subtree


def root_at(size: int, session: Session | None = None) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return subtree_reader(session)(0, size)


def inclusion(index: int, size: int) -> dict:
    subtree = subtree_reader()
    leaf = subtree(index, index + 1)
    return {"index": index, "size": size, "leaf_hash": leaf.hex(),
            "path": [h.hex() for h in merkle.inclusion_path(index, size, subtree)], "root": subtree(0, size).hex()}


def consistency(first: int, second: int) -> dict:
    subtree = subtree_reader()
    return {"first": first, "second": second, "first_root": subtree(0, first).hex(),
            "second_root": subtree(0, second).hex(),
            "proof": [h.hex() for h in merkle.consistency_proof(first, second, subtree)]}


# ---- checkpoints ------------------------------------------------------------------------------

def signing_key():
    from pathlib import Path

    from trading.keyfiles import ed25519_key

    return ed25519_key(Path(current_app.config.get("AUDIT_KEY_PATH")
                            or Path(current_app.instance_path) / "audit-key.pem"))


def public_key_info() -> dict:
    from cryptography.hazmat.primitives import serialization

    raw = signing_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"alg": "Ed25519", "public_key": base64.b64encode(raw).decode(), "key_id": key_id(raw)}


def key_id(raw_public: bytes) -> str:
    return hashlib.sha256(raw_public).digest()[:16].hex()


def log_origin() -> str:
    return current_app.config.get("AUDIT_ORIGIN") or "public-resource-trading-platform"


def sign_checkpoint(reason: str, session: Session | None = None) -> Checkpoint:
    """Sign (size, root, time) of the log as of this transaction and store it in the same transaction."""
    session = session or db.session
    conn = session.connection()
    size, frontier, _prev = _lock_head(conn, 0)
    root = merkle.frontier_root(frontier)
    at = now()
    info = public_key_info()
    body = canonical({"origin": log_origin(), "size": size, "root": root.hex(), "at": iso(at),
                      "key_id": info["key_id"]})
    signature = signing_key().sign(body)
    row = Checkpoint(size=size, root=root, at=at, reason=reason[:32], body=body.decode("utf-8"),
                     key_id=info["key_id"], signature=signature)
    session.add(row)
    session.flush()
    return row


def latest_checkpoint(session: Session | None = None) -> Checkpoint | None:
    return (session or db.session).scalar(sa.select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1))


def checkpoint_json(cp: Checkpoint) -> dict:
    return {"id": cp.id, "size": cp.size, "root": bytes(cp.root).hex(), "at": iso(cp.at), "reason": cp.reason,
            "body": cp.body, "key_id": cp.key_id, "signature": base64.b64encode(bytes(cp.signature)).decode()}


def scheduled_checkpoint() -> Checkpoint | None:
    """The periodic tick: sign when the log grew since the last checkpoint and enough time passed."""
    seconds = float(current_app.config.get("AUDIT_CHECKPOINT_SECONDS", 300))
    last = latest_checkpoint()
    size, _root = head()
    if last is not None and (last.size == size or (now() - last.at).total_seconds() < seconds):
        return None
    if last is None and size == 0:
        return None
    cp = sign_checkpoint("schedule")
    db.session.commit()
    return cp


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

