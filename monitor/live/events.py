"""Live events: who watches (`Viewer`, `Scope`), an audit entry as an SSE event (`Event`, its JSON and
frame, read once), and the batches of frames a group of streams shares (`Batch`).

An event's SSE `id` is the entry's index; its data is the entry as logged minus what says nothing to a
watcher (`OMITTED`), plus its audience and the trade's reference. Each event carries two ready-made
frames, one for signed-in viewers and one for anonymous ones, so no stream serialises anything.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from monitor.audit.models import AuditEntry
from trading.extensions import db


# ---- who is watching, and what -------------------------------------------------------------------

@dataclass(frozen=True)
class _Grant:
    role: object  # trading.accounts.roles.Role
    centre_id: int | None


class Viewer:
    """What `visible_to` and `visible_clause` read of a user, frozen when the stream opens.

    The fetcher thread has no session to load users with, and a stream's rights do not change
    under it: it ends after LIVE_MAX_SECONDS and the reconnection reads them again.
    """

    __slots__ = ("is_authenticated", "id", "grants")

    def __init__(self, user=None) -> None:
        self.is_authenticated = bool(getattr(user, "is_authenticated", False))
        self.id = user.id if self.is_authenticated else None
        self.grants = tuple(_Grant(gr.role, gr.centre_id) for gr in user.grants) if self.is_authenticated else ()

    def branches(self) -> set:
        return {gr.role.branch for gr in self.grants}


@dataclass(frozen=True)
class Scope:
    """The whole platform, one centre or one trade."""

    centre_id: int | None = None
    trade_id: int | None = None

    def matches(self, centre_id: int | None, trade_id: int | None) -> bool:
        return ((self.centre_id is None or centre_id == self.centre_id)
                and (self.trade_id is None or trade_id == self.trade_id))

    def clause(self):
        parts = []
        if self.centre_id is not None:
            parts.append(AuditEntry.centre_id == self.centre_id)
        if self.trade_id is not None:
            parts.append(AuditEntry.trade_id == self.trade_id)
        return sa.and_(sa.true(), *parts)


# ---- events --------------------------------------------------------------------------------------

#: the columns an event is made from
COLUMNS = (AuditEntry.seq, AuditEntry.body, AuditEntry.audience, AuditEntry.centre_id, AuditEntry.trade_id,
           AuditEntry.actor_id)
#: body fields a stream leaves out: the request's address and the hash chain say nothing to a watcher
OMITTED = ("origin", "prev", "v")


@dataclass(frozen=True, slots=True)
class Event:
    """One entry, read once, with its SSE frame for signed-in viewers and for anonymous ones."""

    index: int
    audience: str
    centre_id: int | None
    trade_id: int | None
    actor_id: int | None
    frames: tuple[bytes, bytes]


def event_data(body: dict, audience: str, ref: str | None, signed_in: bool) -> dict:
    """An event's JSON: the entry as logged (index, at, action, trade, centre, object, role, branch,
    before, after...) plus its audience and the trade's reference; anonymous viewers are not told
    who acted, only in which role."""
    data = {k: v for k, v in body.items() if k not in OMITTED}
    data["audience"] = audience
    data["ref"] = ref
    if not signed_in:
        data["actor"] = None
    return data


def frame(index: int, data: dict) -> bytes:
    # json.dumps escapes line breaks inside strings, so the data is one SSE line
    return f"id: {index}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def make_event(row, refs: dict[int, str]) -> Event:
    body = json.loads(row.body)
    ref = refs.get(row.trade_id) if row.trade_id is not None else None
    return Event(row.seq, row.audience, row.centre_id, row.trade_id, row.actor_id,
                 (frame(row.seq, event_data(body, row.audience, ref, True)),
                  frame(row.seq, event_data(body, row.audience, ref, False))))


def trade_refs(trade_ids, cache: dict[int, str] | None = None) -> dict[int, str]:
    """References of the trades named by a batch of entries: one query per batch, not per event."""
    from trading.trades.models import Trade

    cache = {} if cache is None else cache
    wanted = {t for t in trade_ids if t is not None and t not in cache}
    if wanted:
        if len(cache) > 50_000:
            cache.clear()
        cache.update({tid: ref for tid, ref in db.session.execute(sa.select(Trade.id, Trade.ref)
                                                                  .where(Trade.id.in_(wanted)))})
    return cache


@dataclass(frozen=True, slots=True)
class Batch:
    """The events of one read a group of streams may see, as the bytes they write: made once per
    audience, put in the queue of every stream of that audience."""

    first: int
    index: int  # the last event's
    data: bytes
    events: tuple[Event, ...]

    @classmethod
    def of(cls, events: list[Event], variant: int) -> Batch:
        return cls(events[0].index, events[-1].index, b"".join(ev.frames[variant] for ev in events), tuple(events))

