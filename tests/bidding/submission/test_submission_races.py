"""Uploads racing the deadline close and each other, over a real HTTP server with threads.

The order of events is fixed without sleeps: a request is known to be inside the upload when its
`.incoming-*` file exists in the blob store, the platform's frozen clock says when bytes arrive,
and the `upload_received` signal marks the moment between the last byte and storing the bid.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from bidding.submission import services
from bidding.crypto.envelope_check import content_digest
from bidding.crypto.receipt import format_time
from bidding.submission.models import Bid, BidState
from tests.bidding.submission.test_bids_api import _envelope, sealed_trade  # noqa: F401  (a fixture)
from tests.conftest import CST, api_headers
from trading.accounts.models import OrgKind
from trading.accounts.roles import Role
from trading.trades.flows import TradeState
from trading.trades.services import advance_due

WAIT = 20.0  # a generous bound for events that happen at once on an idle machine


@pytest.fixture
def server(app):
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()


class Upload:
    """One POST of an envelope whose body is sent in as many parts as the test wants."""

    def __init__(self, port: int, trade, headers: dict, data: bytes) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        self.conn.putrequest("POST", f"/api/v1/trades/{trade.id}/bids")
        for name, value in {**headers, "Content-Type": "application/octet-stream", "Content-Length": str(len(data)),
                            "Content-Digest": content_digest(data), "Accept-Language": "en"}.items():
            self.conn.putheader(name, value)
        self.conn.endheaders()

    def send(self, part: bytes) -> None:
        self.conn.send(part)

    def answer(self) -> tuple[int, dict]:
        response = self.conn.getresponse()
        body = json.loads(response.read())
        self.conn.close()
        return response.status, body


def _incoming(app) -> list[Path]:
    return list(Path(app.config["BLOB_DIR"]).glob(".incoming-*"))


def _blobs(app) -> list[Path]:
    return [p for p in Path(app.config["BLOB_DIR"]).glob("??/*") if p.is_file()]


def _wait_for(predicate, what: str) -> None:
    end = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def _bidders(users, make_user, make_org, n: int) -> list:
    out = [users["bidder"]]
    for i in range(1, n):
        out.append(make_user(f"bidder_{i}", (Role.BIDDER, None), org=make_org(OrgKind.BIDDER, f"Racing Bidder {i} Co.")))
    return out


def test_close_while_receiving_does_not_refuse_a_bid_whose_last_byte_was_on_time(
        db, app, client, sealed_trade, users, clock, server):  # noqa: F811
    """The closing tick runs while an upload is still arriving; its last byte arrives 1 ms before the
    deadline: the time of the last byte decides, so the bid is taken though the trade is closed now."""
    deadline = sealed_trade.bid_deadline
    clock.freeze(deadline - timedelta(seconds=5))
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code)
    upload = Upload(server, sealed_trade, api_headers(client, "bidder"), data)
    upload.send(data[:-1])
    _wait_for(lambda: len(_incoming(app)) == 1, "the upload to start")
    assert advance_due(at=deadline) == {sealed_trade.ref: ["close"]}  # a tick whose clock reads the deadline
    clock.freeze(deadline - timedelta(milliseconds=1))
    upload.send(data[-1:])
    status, body = upload.answer()
    assert status == 201, body
    # signed in the platform's time zone (Beijing), like every time it shows
    assert body["receipt"]["received_at"] == format_time((deadline - timedelta(milliseconds=1)).astimezone(CST))
    assert body["receipt"]["received_at"].endswith("+08:00")
    db.session.expire_all()
    assert sealed_trade.state is TradeState.CLOSED
    assert db.session.scalar(sa.select(Bid.state)) is BidState.SUBMITTED


def test_close_while_checking_racing_several_uploads(db, app, client, sealed_trade, users, make_user, make_org,
                                                     clock, server):  # noqa: F811
    """Three uploads finish just before the deadline; the closing tick runs after their last bytes
    arrived and before they are stored: all three keep their bids and receipts."""
    deadline = sealed_trade.bid_deadline
    clock.freeze(deadline - timedelta(milliseconds=3))
    bidders = _bidders(users, make_user, make_org, 3)
    db.session.commit()
    closed = []

    def close() -> None:  # run once, by the last upload to arrive at the barrier, in a thread of its own
        def tick():
            with app.app_context():
                clock.freeze(deadline)
                closed.append(advance_due())
        worker = threading.Thread(target=tick)
        worker.start()
        worker.join(WAIT)

    barrier = threading.Barrier(3, action=close, timeout=WAIT)

    def hold(_trade, **_kw):
        barrier.wait()

    datas = [_envelope(client, sealed_trade, u.organisation.credit_code) for u in bidders]
    uploads = [Upload(server, sealed_trade, api_headers(client, u.username), d) for u, d in zip(bidders, datas)]
    services.upload_received.connect(hold)
    try:
        for upload, data in zip(uploads, datas):
            upload.send(data)
        answers = [u.answer() for u in uploads]
    finally:
        services.upload_received.disconnect(hold)
    assert closed == [{sealed_trade.ref: ["close"]}]
    assert [status for status, _ in answers] == [201, 201, 201], answers
    db.session.expire_all()
    assert sealed_trade.state is TradeState.CLOSED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 3


def test_same_version_uploaded_twice_at_once(db, app, client, sealed_trade, users, server):  # noqa: F811
    """Two different envelopes of one bidder's version 1, in flight together: one is stored, the other
    gets a clear 409 (not a 500), and its envelope leaves no blob behind."""
    code = users["bidder"].organisation.credit_code
    datas = [_envelope(client, sealed_trade, code, price=p) for p in ("4815000.00", "4700000.00")]
    headers = api_headers(client, "bidder")
    uploads = [Upload(server, sealed_trade, headers, d) for d in datas]
    for upload, data in zip(uploads, datas):
        upload.send(data[:-1])
    _wait_for(lambda: len(_incoming(app)) == 2, "both uploads to start")  # both expect version 1
    for upload, data in zip(uploads, datas):
        upload.send(data[-1:])
    answers = sorted((u.answer() for u in uploads), key=lambda a: a[0])
    (won, body), (lost, refusal) = answers
    assert (won, lost) == (201, 409), answers
    assert refusal["code"] == "version_taken" and "version 1" in refusal["message"] and "2" in refusal["message"]
    assert [p.name for p in _incoming(app)] == []
    assert [p.parent.name + p.name for p in _blobs(app)] == [body["sha256"]]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 1


def test_same_envelope_uploaded_twice_at_once(db, app, client, sealed_trade, users, server):  # noqa: F811
    """The same envelope sent twice at once (a client retrying too early): one bid, one receipt, both
    answers carry it."""
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code)
    headers = api_headers(client, "bidder")
    uploads = [Upload(server, sealed_trade, headers, data) for _ in range(2)]
    for upload in uploads:
        upload.send(data[:-1])
    _wait_for(lambda: len(_incoming(app)) == 2, "both uploads to start")
    for upload in uploads:
        upload.send(data[-1:])
    answers = [u.answer() for u in uploads]
    assert [status for status, _ in answers] == [201, 201], answers
    assert answers[0][1]["receipt"] == answers[1][1]["receipt"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 1
    assert len(_blobs(app)) == 1 and _incoming(app) == []


def test_seal_cli_submits_with_its_content_digest(db, app, client, sealed_trade, users, server, tmp_path):  # noqa: F811
    """`python -m bidding.seal --submit` uploads what it sealed with the Content-Digest the platform
    checks, and keeps the signed receipt beside the envelope."""
    import subprocess
    import sys

    key = client.get(f"/api/v1/trades/{sealed_trade.id}/opening-key").get_json()
    token = tmp_path / "token"
    token.write_text(api_headers(client, "bidder")["Authorization"].removeprefix("Bearer "))
    attachment = tmp_path / "技术方案.pdf"
    attachment.write_bytes(b"%PDF-1.7 " + bytes(70_000))
    out = tmp_path / "bid.prsb"
    done = subprocess.run([sys.executable, "-m", "bidding.seal", "--key", key["public_key"],
                           "--trade", sealed_trade.ref, "--bidder", users["bidder"].organisation.credit_code,
                           "--version", "1", "--price", "4815000.00", "--file", str(attachment), "-o", str(out),
                           "--expect-fingerprint", key["fingerprint"],
                           "--submit", f"http://127.0.0.1:{server}/api/v1/trades/{sealed_trade.id}/bids",
                           "--token-file", str(token)],
                          cwd=Path(__file__).resolve().parents[3], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"Content-Digest: {content_digest(out.read_bytes())}" in done.stdout
    saved = json.loads((tmp_path / "bid.prsb.receipt.json").read_text())
    bid = db.session.scalar(sa.select(Bid))
    assert json.loads(bid.receipt) == saved and saved["sha256"] == bid.sha256 and bid.size == out.stat().st_size
    # sending it again (the answer was lost) gives the same receipt back
    again = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from bidding.seal import submit; "
                            "print(submit(Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])))",
                            str(out), content_digest(out.read_bytes()),
                            f"http://127.0.0.1:{server}/api/v1/trades/{sealed_trade.id}/bids", str(token)],
                           cwd=Path(__file__).resolve().parents[3], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "bid.prsb.receipt.json").read_text()) == saved
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 1


def test_a_bid_is_stored_only_with_its_receipt(db, app, client, sealed_trade, users, server):  # noqa: F811
    """The bid row becomes visible to others only in the commit that writes its receipt: a reader
    between the two (here: at the moment the bid is announced, before the request commits) sees no
    bid, so a crash there leaves neither a bid without a receipt nor a receipt without a bid."""
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code)
    seen = []

    def peek(_trade, bid=None, **_kw):
        with db.engine.connect() as other:
            seen.append(other.execute(sa.select(sa.func.count()).select_from(Bid)).scalar())

    services.bid_submitted.connect(peek)
    try:
        upload = Upload(server, sealed_trade, api_headers(client, "bidder"), data)
        upload.send(data)
        status, body = upload.answer()
    finally:
        services.bid_submitted.disconnect(peek)
    assert status == 201 and body["receipt"]["sha256"] == body["sha256"], body
    assert seen == [0]
    stored = db.session.scalars(sa.select(Bid)).all()
    assert [(b.sha256, bool(b.receipt)) for b in stored] == [(body["sha256"], True)]
