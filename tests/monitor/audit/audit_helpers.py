"""A real trade driven through its lifecycle over HTTP and the CLI, for the audit-log tests.

`run_trade` leaves a log made the way production makes it: API calls with bearer tokens, sealed bids,
sensitive reads, the deadline passed by `flask tick`, the opening ceremony, a countersignature, the
scheduled checkpoint by `flask monitor tick`. The audit tests import the fixtures from here.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from bidding.crypto import envelope
from bidding.crypto.records import encode_bid
from bidding.crypto.envelope_check import content_digest
from bidding.keyholders import client as holder_side
from tests.bidding.conftest import PASSPHRASES, keyholding  # noqa: F401  (a fixture the tests use)
from tests.conftest import START, api_headers, tender_timeline
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from tests.signing_helpers import api_signed

#: distinctive names, so a leak into the log is found by a plain substring search
BIDDERS = {"bidder": None, "bidder_x": "Zhuque Secret Bidder Construction Co.",
           "bidder_y": "Xuanwu Hidden Bidder Engineering Co."}
PRICES = {"bidder": "4815000.00", "bidder_x": "4700000.50", "bidder_y": "4999999.99"}


@dataclass
class Trip:
    """What a run left behind: the trade, the people, and the log's checkpoints."""

    trade_id: int
    headers: dict[str, dict] = field(default_factory=dict)
    bidder_ids: dict[str, int] = field(default_factory=dict)
    bidder_orgs: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # id, name, credit code


def entries(db) -> list[dict]:
    from monitor.audit.models import AuditEntry

    return [json.loads(body) for body in db.session.scalars(sa.select(AuditEntry.body).order_by(AuditEntry.seq))]


def headers(client, trip: Trip, who: str) -> dict:
    if who not in trip.headers:
        trip.headers[who] = api_headers(client, who)
    return trip.headers[who]


def _envelope(client, trade_id: int, ref: str, code: str, price: str) -> bytes:
    body = client.get(f"/api/v1/trades/{trade_id}/opening-key").get_json()
    out = io.BytesIO()
    plaintext = encode_bid({"price": price, "duration_days": "360", "note": ""},
                           [("technical.txt", b"technical proposal")])
    envelope.seal(plaintext, public_key=envelope.load_public_key(body["public_key"]), trade_ref=ref,
                  bidder_id=code, version=1, chunk_size=1024, out=out)
    return out.getvalue()


def add_bidders(users, make_user, make_org) -> None:
    for name, org_name in BIDDERS.items():
        if name not in users:
            users[name] = make_user(name, (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, org_name))


def run_trade(db, client, runner, users, clock, *, ceremony: bool = True, countersign: bool = True) -> Trip:
    """Create, approve, publish, bid, read the lists, close at the deadline, open, countersign, tick."""
    from monitor.audit.models import Checkpoint

    tl = tender_timeline(START)
    body = {"centre_id": users["staff"].grants[0].centre_id, "method": "works_open_tender",
            "tenderer_id": users["tenderer"].organisation_id, "title": "Audited road works",
            "description": "Twelve streets", "estimated_price": "5000000.00", "bid_security": "100000.00",
            **{k: v.isoformat() for k, v in tl.items()}}
    trip = Trip(trade_id=0)
    response = client.post("/api/v1/trades", json=body, headers=headers(client, trip, "staff"))
    assert response.status_code == 201, response.get_json()
    trip.trade_id = trade_id = response.get_json()["id"]
    ref = response.get_json()["ref"]
    response = client.patch(f"/api/v1/trades/{trade_id}", json={"title": "Audited road works, lot 1"},
                            headers=headers(client, trip, "staff"))
    assert response.status_code == 200, response.get_json()
    response = client.post(f"/api/v1/trades/{trade_id}/keyholders", headers=headers(client, trip, "decider"),
                           json={"execute": [users["staff"].id, users["staff2"].id],
                                 "supervise": [users["supervisor"].id]})
    assert response.status_code == 201, response.get_json()
    response = client.post(f"/api/v1/trades/{trade_id}/documents", headers=headers(client, trip, "staff"),
                           data={"file": (io.BytesIO(b"%PDF-1.4 tender documents"), "docs.pdf", "application/pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    doc_id = response.get_json()["id"]
    for move, who in (("submit", "staff"), ("approve", "decider"), ("publish", "staff")):
        response = client.post(f"/api/v1/trades/{trade_id}/transitions", json={"move": move},
                               headers=headers(client, trip, who))
        assert response.status_code == 201, (move, response.get_json())

    for who, price in PRICES.items():
        user = users[who]
        trip.bidder_ids[who] = user.id
        trip.bidder_orgs[who] = (user.organisation_id, user.organisation.name, user.organisation.credit_code)
        response = client.get(f"/api/v1/trades/{trade_id}/documents/{doc_id}/content",
                              headers=headers(client, trip, who))
        assert response.status_code == 200, response.status_code
        data = _envelope(client, trade_id, ref, user.organisation.credit_code, price)
        response = client.post(f"/api/v1/trades/{trade_id}/bids", data=data, content_type="application/octet-stream",
                               headers={**headers(client, trip, who), "Content-Digest": content_digest(data)})
        assert response.status_code == 201, response.get_json()
        clock.advance(timedelta(minutes=7))

    # sensitive reads: the downloader list (tenderer, executing staff) and the bidder list
    assert client.get(f"/api/v1/trades/{trade_id}/downloads", headers=headers(client, trip, "staff")).status_code == 200
    assert client.get(f"/api/v1/trades/{trade_id}/bids", headers=headers(client, trip, "staff")).status_code == 200

    # the deadline passes; the platform's tick closes the trade (a key move: a checkpoint is signed)
    from trading.extensions import db as _db
    from trading.trades.models import Trade

    trade = _db.session.get(Trade, trade_id)
    clock.freeze(trade.bid_deadline + timedelta(seconds=1))
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0 and "close" in result.output, result.output
    _db.session.expire_all()
    trip.headers.clear()  # tokens last hours; the deadline is weeks later

    if ceremony:
        url = f"/api/v1/trades/{trade_id}/ceremony"
        assert client.post(url, headers=headers(client, trip, "staff")).status_code == 201
        for who in PASSPHRASES:  # each keyholder's machine opens its share; only the share is sent
            material = client.get(url + "/share", headers=headers(client, trip, who)).get_json()
            share = holder_side.release(bytes.fromhex(material["wrapped_key"]), PASSPHRASES[who],
                                        bytes.fromhex(material["sealed_share"]), material["context"].encode())
            response = client.post(url + "/shares", json={"share": share.hex()}, headers=headers(client, trip, who))
            assert response.status_code == 201, response.get_json()
        response = client.post(url + "/complete", headers=headers(client, trip, "staff"))
        assert response.status_code == 200, response.get_json()
        sup = headers(client, trip, "supervisor")
        response = client.post(url + "/signatures", headers=sup,
                               json=api_signed(client, sup, "opening-record", trade_id=trade_id))
        assert response.status_code == 201, response.get_json()

    if countersign:
        cp = _db.session.scalar(sa.select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1))
        sup = headers(client, trip, "supervisor")
        response = client.post(f"/api/v1/audit/checkpoints/{cp.id}/countersign", headers=sup,
                               json=api_signed(client, sup, "checkpoint", checkpoint_id=cp.id))
        assert response.status_code == 201, response.get_json()

    # the scheduled checkpoint, after AUDIT_CHECKPOINT_SECONDS
    clock.advance(timedelta(seconds=301))
    result = runner.invoke(args=["monitor", "tick"])
    assert result.exit_code == 0, result.output
    return trip
