"""What an audit entry says: the canonical form, who acted in which role, pseudonyms, the trade a row belongs to."""
from __future__ import annotations

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

from trading.accounts.roles import Role
from trading.canonical import canonical_json

FORMAT = 1
ZERO = bytes(32)
#: the longest text or JSON value kept verbatim in an entry; longer ones are kept as their SHA-256
MAX_VALUE = 512

#: tables never logged: the log itself, throttling counters, derived messages
#: (api_tokens: signing in is no trade record, and a bidder's token logged beside a pseudonymous bid
#: would name the bidder; published_keys: the first signature publishes its key, and the entry would name
#: whoever caused it, e.g. the first bidder; each checkpoint carries the key id anyway; counters: the numbers
#: they hand out are logged in the rows that carry them, and their upsert is one statement)
SKIP_TABLES = {"audit_entries", "audit_nodes", "audit_head", "audit_checkpoints", "audit_countersignatures",
               "login_attempts", "api_tokens",
               "published_keys", "counters",
               "notifications", "alembic_version"}
#: secrets that must never reach the log, by column name
#: (salt: an unnamed draw's secret until the opening, trading.draws; its SHA-256 is logged when the round is fixed)
SECRET_COLUMNS = {"password_hash", "token_hash", "protected_key", "sealed", "held_share", "receipt", "salt"}
#: bookkeeping that changes with every update and says nothing
NOISE_COLUMNS = {"updated_at", "version"}
#: identities that are confidential while a trade runs (bidders before the opening, downloaders):
#: the log keeps a per-trade pseudonym, so supervisors can count but not name (table -> column -> kind)
SEALED = {
    "bids": {"organisation_id": "org", "submitted_by_id": "user"},
    "downloads": {"user_id": "user", "organisation_id": "org", "contact_email": "email"},
    "email_subscriptions": {"email": "email"},
    "opening_entries": {"organisation_id": "org"},
    "kept_documents": {"organisation_id": "org"},  # bid documents kept at the opening (bidding/custody)
    "ceremony_objections": {"organisation_id": "org", "user_id": "user"},
    # the staff's note on a deposit says who paid, as a bank transfer reads ("XX公司 转账")
    "bid_deposits": {"organisation_id": "org", "note": "note", "payer_account": "account"},
    # what a bid's upload saw (bidding/collusion): where it came from names its bidder as surely
    "bid_sightings": {"organisation_id": "org", "address": "address", "user_agent": "agent", "device_id": "device"},
    # who applied to buy land or property rights: the live round shows paddle numbers only (bidding/auctions)
    "auction_registrations": {"organisation_id": "org", "applicant_id": "user", "reason": "note"},
    # a qualification document's name often names its company ("XX公司营业执照.pdf")
    "auction_registration_documents": {"filename": "note"},
    # who asked, challenged or complained on a procurement trade (procurement/challenges): a downloader or bidder
    "procurement_filings": {"organisation_id": "org", "user_id": "user"},
    # an invitation tender's invitees are its potential bidders (Tendering Law Art 22), named as its bids are;
    # the purchaser's reason for its list may name them too (procurement/methods)
    "procurement_invitees": {"organisation_id": "org", "reason": "note"},
}


def _unnamed_draw(get: Callable[[str], Any]) -> dict[str, str]:
    """A draw round's members, when its purpose keeps who was drawn unnamed (trading.draws.Purpose.unnamed:
    an invitation tender's invitees); the draw's own entries name them the same way (trading.draws)."""
    from trading.draws.services import PURPOSES

    kind = getattr(PURPOSES.get(get("purpose")), "unnamed", None)
    return {"candidates": kind, "order": kind, "selected": kind} if kind else {}


#: rows sealed only when the row says so: table -> (the row's getter -> column -> kind); lists are sealed
#: member by member
SEALED_IF: dict[str, Callable[[Callable[[str], Any]], dict[str, str]]] = {
    "draw_rounds": _unnamed_draw,
}
#: roles whose people act on a trade under a pseudonym: who bids, or may bid, stays unnamed in the log
UNNAMED_ROLES = {Role.BIDDER.value, Role.PUBLIC.value}
#: tables about people and organisations rather than trades: supervisors and deciders see them
PLATFORM_TABLES = {"users", "role_grants", "api_tokens", "personal_keys", "declared_relations",
                   "organisations", "centres", "centre_methods"}
#: a public trade's changes to these tables are public (the portal shows them anyway)
PUBLIC_TABLES = {"trades", "trade_transitions", "notices", "clarifications", "documents", "calendar_days",
                 # a sale's terms and its quotes by paddle number: the price board shows them to everyone
                 "auction_terms", "auction_listing_quotes", "auction_increment_changes",
                 # the live round: its price, leader and countdown, and its bids by paddle number
                 "auction_rounds", "auction_live_bids",
                 # a property transfer's public reserve, its changes, extensions and the negotiated price (O32)
                 "property_pre_disclosures", "property_reserve_changes", "property_disclosure_extensions",
                 "property_negotiated_transfers"}
#: rows of a public table that stay with the centre's branches (and whoever made them): a refused live bid
#: (its bidder sees it; the public sees only the accepted ones)
CENTRE_ROWS: dict[str, Callable[[Callable[[str], Any]], bool]] = {
    "auction_live_bids": lambda get: get("refusal") is not None,
}
#: moves after which the platform signs a checkpoint at once (deadline, opening, award...)
KEY_MOVES = {"close", "start_opening", "finish_opening", "fail", "fail_opening", "postpone_opening", "award",
             "contract", "conclude", "no_deal",
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
TRADE_PARENTS = ("ceremony", "opening_key", "document", "card", "bid", "keyholder", "registration")


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
