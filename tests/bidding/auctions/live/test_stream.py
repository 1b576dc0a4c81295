"""The live round on the audit log and its stream: every accepted and refused bid is an entry (accepted ones
public, by paddle and pseudonym; refused ones for the centre's branches and their bidder), and a watcher
who loses the connection mid-round resumes with Last-Event-ID: exactly the bids it missed, then the live
ones, and the countdown's end it needs."""
from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from bidding.auctions.live.bids import place_bid
from monitor.audit.entries import acting_as
from monitor.audit.models import AuditEntry
from tests.bidding.auctions.conftest import INCREMENT, STARTING_PRICE
from tests.monitor.live.live_support import FAST, SSE, Server

LEAD = STARTING_PRICE + INCREMENT


@pytest.fixture
def serve(app):
    app.config.update(FAST)
    servers = []

    def start():
        servers.append(Server(app))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def _bid(db, user, trade, amount):
    with acting_as(user):  # as a request signed in as the bidder would
        placed, _ = place_bid(user, trade, amount, str(uuid.uuid4()))
        db.session.commit()
    return placed


def test_accepted_bids_are_public_entries_refusals_stay_with_the_centre(db, open_round, land, clock):
    trade, _regs = open_round
    accepted = _bid(db, land["buyer1"], trade, LEAD + INCREMENT)
    refused = _bid(db, land["buyer2"], trade, LEAD + INCREMENT + 1)
    rows = db.session.execute(sa.select(AuditEntry.audience, AuditEntry.body, AuditEntry.actor_id).where(
        AuditEntry.action == "auction_live_bids.insert").order_by(AuditEntry.seq)).all()
    bodies = [(audience, json.loads(body), actor) for audience, body, actor in rows]
    assert [(a, b["object"]["id"]) for a, b, _ in bodies] == [("public", accepted.id), ("centre", refused.id)]
    for _audience, body, _actor in bodies:
        assert body["actor"]["pseudonym"].startswith("anon:")  # a bidder acts under a pseudonym
        assert "username" not in body["actor"]
    assert bodies[0][1]["after"]["paddle"] == accepted.paddle and bodies[0][1]["after"]["seq"] == 1
    assert bodies[1][1]["after"]["refusal"] == "too_low"
    assert bodies[1][2] == land["buyer2"].id  # its bidder sees it (their own entry)
    updates = db.session.scalars(sa.select(AuditEntry.audience).where(AuditEntry.action == "auction_rounds.update"))
    assert set(updates) == {"public"}


def test_a_watcher_reconnecting_mid_round_resumes_without_loss(db, open_round, land, serve, clock):
    trade, _regs = open_round
    server = serve()
    path = f"/live/trades/{trade.id}"
    watcher = SSE(server.port, path)  # anonymous: the public entries
    first = _bid(db, land["buyer1"], trade, LEAD + INCREMENT)
    seen = [e for e in watcher.read(2) if e.data["action"] == "auction_live_bids.insert"]
    assert [e.data["after"]["seq"] for e in seen] == [1]
    last = seen[-1].index
    watcher.close()  # the connection drops

    missed = [_bid(db, land["buyer2"], trade, LEAD + 2 * INCREMENT),
              _bid(db, land["buyer1"], trade, LEAD + 3 * INCREMENT)]
    _bid(db, land["buyer1"], trade, LEAD + 5 * INCREMENT)  # refused (already leading): not for the public

    again = SSE(server.port, path, {"Last-Event-ID": str(last)})
    events = again.read_until(_last_public(db, trade))
    bids = [e.data["after"] for e in events if e.data["action"] == "auction_live_bids.insert"]
    assert [(b["seq"], b["amount"]) for b in bids] == [(2, str(LEAD + 2 * INCREMENT)), (3, str(LEAD + 3 * INCREMENT))]
    assert bids[-1]["ends_at"] == missed[-1].ends_at.strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{missed[-1].ends_at.microsecond // 1000:03d}Z"  # the countdown's end, from the server
    assert all(e.index > last for e in events) and len({e.index for e in events}) == len(events)
    assert not any(e.data["action"] == "auction_live_bids.insert" and e.data["after"]["refusal"] for e in events)
    live_bid = _bid(db, land["buyer2"], trade, LEAD + 4 * INCREMENT)
    fresh = again.read_until(_last_public(db, trade))
    assert [e.data["after"]["seq"] for e in fresh if e.data["action"] == "auction_live_bids.insert"] == [live_bid.seq]
    again.close()
    assert first.seq == 1


def _last_public(db, trade) -> int:
    return db.session.scalar(sa.select(sa.func.max(AuditEntry.seq)).where(
        AuditEntry.trade_id == trade.id, AuditEntry.audience == "public"))
