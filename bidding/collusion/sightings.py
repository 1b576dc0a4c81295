"""What the submission saw: each bid's network address, user agent and sealer device id.

The upload's request thread knows the request; the bid row is inserted later, by the process's bid
writer thread (bidding/submission/writer.py), which has no request. So two listeners meet on the
upload's (trade, company, received_at), which the bid row carries unchanged: `upload_received` (in the
request thread, after the envelope is checked) notes what the request showed, in process memory only;
`bid_submitted` (in the transaction that inserts the bid) takes that note and adds the sighting row, so
the row commits with its bid or not at all. Notes whose upload stored no bid (a resend, a lost race)
expire after NOTE_SECONDS."""
from __future__ import annotations

import re
import threading
import time

from flask import has_request_context, request

from bidding.collusion.models import MAX_DEVICE_ID, MAX_USER_AGENT, BidSighting
from trading.extensions import db
from trading.signals import ROW_ACTORS

#: the header the browser sealer (static/js/sealer.js) and `python -m bidding.seal` send
DEVICE_HEADER = "X-Sealer-Device"
_DEVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,%d}" % (MAX_DEVICE_ID - 1))
#: how long a note waits for its bid row
NOTE_SECONDS = 600

_lock = threading.Lock()
_notes: dict[tuple, tuple[float, str | None, str | None, str | None]] = {}


def device_id(value: str | None) -> str | None:
    """The sealer's device id if it is well formed (8 to 64 letters, digits, '.', '_', '-'), else None."""
    value = (value or "").strip()
    return value if _DEVICE.fullmatch(value) else None


def _key(trade_id: int, organisation_id: int, received_at) -> tuple:
    return trade_id, organisation_id, received_at.isoformat()


def on_upload_received(trade, received_at, organisation_id, **_kw) -> None:
    """Request thread: note what the request showed (nothing is written to the database here)."""
    if not has_request_context():
        return
    agent = (request.user_agent.string or "")[:MAX_USER_AGENT] or None
    note = (time.monotonic(), request.remote_addr, agent, device_id(request.headers.get(DEVICE_HEADER)))
    with _lock:
        cutoff = note[0] - NOTE_SECONDS
        for key in [k for k, v in _notes.items() if v[0] < cutoff]:
            del _notes[key]
        _notes[_key(trade.id, organisation_id, received_at)] = note


def on_bid_submitted(trade, bid, actor=None, **_kw) -> None:
    """In the bid's own transaction (the writer thread or inline): the sighting row beside the bid."""
    with _lock:
        note = _notes.pop(_key(bid.trade_id, bid.organisation_id, bid.received_at), None)
    if note is None:
        return
    _when, address, agent, device = note
    row = record(bid, address, agent, device)
    if actor is not None:
        db.session.info.setdefault(ROW_ACTORS, {})[row] = actor


def record(bid, address: str | None, user_agent: str | None, device: str | None) -> BidSighting:
    row = BidSighting(bid_id=bid.id, trade_id=bid.trade_id, organisation_id=bid.organisation_id,
                      address=(address or None) and address[:64], user_agent=user_agent and user_agent[:MAX_USER_AGENT],
                      device_id=device_id(device), seen_at=bid.received_at)
    db.session.add(row)
    return row


def install() -> None:
    """Connect both listeners (the app factory calls this once per process)."""
    from bidding.submission.services import bid_submitted, upload_received

    upload_received.connect(on_upload_received)
    bid_submitted.connect(on_bid_submitted)
