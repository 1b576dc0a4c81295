"""What an upload reads from the database. The opening key's fingerprint is read once per process (a
trade's key is made once and never changes) and still refuses an envelope sealed to another key; the
bid writer reads each trade once per group, and the audit log finds that row in the session instead
of reading it again with its centre's offerings.

Real HTTP (a threaded server), real SQLite file, real crypto; statements counted with SQLAlchemy's
`before_cursor_execute` event, by the thread that ran them.
"""
from __future__ import annotations

import io
import threading

import sqlalchemy as sa

from bidding.crypto import envelope
from bidding.crypto.envelope_check import content_digest
from bidding.crypto.records import encode_bid
from bidding.keyholders import keys
from tests.bidding.submission.test_bids_api import _envelope, _submit, sealed_trade  # noqa: F401  (a fixture)
from tests.bidding.submission.test_submission_races import Upload, server  # noqa: F401  (a fixture)
from tests.conftest import api_headers
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role


def _bidders(make_user, make_org, n: int) -> list:
    return [make_user(f"reads_bidder_{i}", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER)) for i in range(n)]


def test_an_upload_reads_the_key_once_per_process_and_the_writer_each_trade_once(
        db, app, client, sealed_trade, make_user, make_org, server):  # noqa: F811
    bidders = _bidders(make_user, make_org, 3)
    ready = [(data := _envelope(client, sealed_trade, u.organisation.credit_code, marker=u.username),
              api_headers(client, u.username)) for u in bidders]
    seen: list[tuple[str, str]] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append((threading.current_thread().name, " ".join(statement.split())))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        for data, headers in ready:  # one after the other: each upload is a group of its own
            upload = Upload(server, sealed_trade, headers, data)
            upload.send(data)
            status, body = upload.answer()
            assert status == 201, body
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)

    key_reads = [s for _t, s in seen if "FROM opening_keys" in s]
    assert len(key_reads) == 1, key_reads  # the first upload reads it, the next two remember it
    by_writer = [s for thread, s in seen if thread == "bid-writer"]
    trade_reads = [s for s in by_writer if s.startswith("SELECT") and "FROM trades" in s]
    assert len(trade_reads) == 3, trade_reads  # one per group
    assert not [s for s in by_writer if "centre_methods" in s]
    assert len([s for s in by_writer if s.startswith("INSERT INTO bids ")]) == 3
    # each request read its trade and its company's latest bid in one statement, nothing else of bids
    by_requests = [s for thread, s in seen if thread != "bid-writer"]
    assert len([s for s in by_requests if s.startswith("SELECT") and "LEFT OUTER JOIN bids AS latest" in s]) == 3
    assert not [s for s in by_requests if s.startswith("SELECT") and "FROM bids" in s and "FROM trades" not in s]


def test_a_remembered_fingerprint_still_refuses_an_envelope_sealed_to_another_key(
        db, client, sealed_trade, make_user, make_org):  # noqa: F811
    first, second = _bidders(make_user, make_org, 2)
    ok = _submit(client, sealed_trade, first.username,
                 _envelope(client, sealed_trade, first.organisation.credit_code))
    assert ok.status_code == 201, ok.get_json()
    out = io.BytesIO()
    other = keys.generate_opening_key().public_key()
    envelope.seal(encode_bid({"price": "1.00", "duration_days": "1", "note": ""}, []), public_key=other,
                  trade_ref=sealed_trade.ref, bidder_id=second.organisation.credit_code, version=1,
                  chunk_size=1024, out=out)
    data = out.getvalue()
    refused = client.post(f"/api/v1/trades/{sealed_trade.id}/bids", data=data, content_type="application/octet-stream",
                          headers={**api_headers(client, second.username), "Content-Digest": content_digest(data),
                                   "Accept-Language": "en"})
    assert refused.status_code == 422, refused.get_json()
    assert "another opening key" in str(refused.get_json()), refused.get_json()
