"""What the platform checks before it signs a receipt (the declared body, the Content-Digest), and the
sweep of what killed uploads leave behind."""
from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bidding.crypto.envelope import parse_header
from bidding.crypto.envelope_check import content_digest
from bidding.submission.models import Bid
from tests.bidding.submission.test_bids_api import _envelope, _submit, sealed_trade  # noqa: F401  (a fixture)
from trading.blobs import BlobStore


def _files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["BLOB_DIR"]).rglob("*") if p.is_file())


def _refused(response, *needles: str) -> None:
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["field"] == "envelope"
    for needle in needles:
        assert needle in body["message"], body["message"]


@pytest.mark.parametrize("where", ["header end", "first chunk", "chunk boundary", "last chunk", "last byte"])
def test_envelope_cut_anywhere_in_its_body_gets_no_receipt(db, client, app, sealed_trade, users, where):  # noqa: F811
    """Cut in transit and sent with a digest of what is left (a sender that hashes what it sends):
    the body is shorter than the header declares, so it is refused, whatever the cut."""
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code, marker="x" * 3000)
    header = parse_header(io.BytesIO(data))
    start, step = len(header.header_bytes), header.chunk_size + 16
    assert header.chunks >= 3
    cut = {"header end": start, "first chunk": start + 100, "chunk boundary": start + step,
           "last chunk": len(data) - 17, "last byte": len(data) - 1}[where]
    before = _files(app)
    response = client.post(f"/api/v1/trades/{sealed_trade.id}/bids", data=data[:cut],
                           content_type="application/octet-stream",
                           headers={**_auth(client), "Content-Digest": content_digest(data[:cut]),
                                    "Accept-Language": "en"})
    _refused(response, "fewer bytes arrived than its header declares")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 0
    assert _files(app) == before


def _auth(client):
    from tests.conftest import api_headers

    return api_headers(client, "bidder")


@pytest.mark.parametrize("where", ["header", "body", "last byte"])
def test_byte_flipped_in_transit_gets_no_receipt(db, client, app, sealed_trade, users, where):  # noqa: F811
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code)
    start = len(parse_header(io.BytesIO(data)).header_bytes)
    index = {"header": start - 5, "body": start + 40, "last byte": len(data) - 1}[where]
    damaged = bytearray(data)
    damaged[index] ^= 0x20
    before = _files(app)
    response = _submit(client, sealed_trade, "bidder", bytes(damaged), digest=content_digest(data))
    _refused(response, "Content-Digest")
    assert "SHA-256" in response.get_json()["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 0
    assert _files(app) == before
    # the same envelope, undamaged, is taken
    assert _submit(client, sealed_trade, "bidder", data).status_code == 201


@pytest.mark.parametrize("value,needle", [
    (None, "RFC 9530"), ("", "RFC 9530"), ("md5=:AAAA:", "sha-256"),
    ("sha-256=abc", "sha-256=:"), ("sha-256=:bm90IDMyIGJ5dGVz:", "sha-256=:"), ("sha-256=:!!!!:", "sha-256=:"),
    ("SHA-256=:" + "A" * 43 + "=:", "sha-256=:"),
])
def test_upload_without_a_valid_content_digest_is_refused(db, client, app, sealed_trade, users, value, needle):  # noqa: F811
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code)
    headers = {**_auth(client), "Accept-Language": "en"}
    if value is not None:
        headers["Content-Digest"] = value
    before = _files(app)
    response = client.post(f"/api/v1/trades/{sealed_trade.id}/bids", data=data, headers=headers,
                           content_type="application/octet-stream")
    _refused(response, "Content-Digest", needle)
    assert _files(app) == before


def test_content_digest_forms_that_are_accepted(db, client, sealed_trade, users):  # noqa: F811
    """Other algorithms beside sha-256, parameters and white space are RFC 8941 dictionary syntax."""
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code)
    value = "sha-512=:" + "A" * 86 + "==:, " + content_digest(data) + ";note=1"
    assert _submit(client, sealed_trade, "bidder", data, digest=value).status_code == 201


def test_digest_refusal_is_translated(client, sealed_trade, users):  # noqa: F811
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code)
    zh = client.post(f"/api/v1/trades/{sealed_trade.id}/bids", data=data, headers=_auth(client),
                     content_type="application/octet-stream").get_json()["message"]
    assert "Content-Digest" in zh and "摘要" in zh
    wrong = _submit(client, sealed_trade, "bidder", data + b"", digest=content_digest(b"other"))
    assert "传输" in wrong.get_json()["message"]


# ---- the sweep -------------------------------------------------------------------------------------

def _age(path: Path, at) -> None:
    os.utime(path, (at.timestamp(), at.timestamp()))


def test_sweep_removes_leftovers_of_killed_uploads_only(db, app, client, sealed_trade, users, clock):  # noqa: F811
    """Killed mid-upload: a `.incoming-*` file; killed after storing, before the bid row: a blob no
    row names. Both go once older than the grace period; a stored bid's envelope, a document and
    anything fresh stay."""
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code)
    assert _submit(client, sealed_trade, "bidder", data).status_code == 201
    bid_blob = BlobStore(app.config["BLOB_DIR"]).path(hashlib.sha256(data).hexdigest())
    store = BlobStore(app.config["BLOB_DIR"])
    with app.test_request_context():
        from trading.notices.models import Document

        digest, size = store.put(io.BytesIO(b"%PDF-1.7 tender documents"))
        db.session.add(Document(trade_id=sealed_trade.id, filename="docs.pdf", content_type="application/pdf",
                                size=size, sha256=digest, uploaded_by_id=users["staff"].id, uploaded_at=clock.now()))
        db.session.commit()
    doc_blob = store.path(digest)
    orphan_old = store.path(store.put(io.BytesIO(b"an envelope whose bid row never came"))[0])
    orphan_new = store.path(store.put(io.BytesIO(b"an envelope stored a moment ago"))[0])
    incoming_old = Path(app.config["BLOB_DIR"]) / ".incoming-killed1"
    incoming_new = Path(app.config["BLOB_DIR"]) / ".incoming-inflight"
    incoming_old.write_bytes(b"PRSB half an upload")
    incoming_new.write_bytes(b"PRSB an upload still arriving")
    grace = timedelta(seconds=app.config["BLOB_SWEEP_GRACE_SECONDS"])
    old, fresh = clock.now() - grace - timedelta(minutes=1), clock.now() - grace + timedelta(minutes=1)
    for path in (bid_blob, doc_blob, orphan_old, incoming_old):
        _age(path, old)
    for path in (orphan_new, incoming_new):
        _age(path, fresh)

    result = app.test_cli_runner().invoke(args=["blobs", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 unfinished uploads and 1 unreferenced blobs removed" in result.output
    assert not incoming_old.exists() and not orphan_old.exists()
    assert all(p.exists() for p in (bid_blob, doc_blob, orphan_new, incoming_new))

    # the scheduler's tick sweeps too (at most once an hour), with the same rules
    clock.advance(grace)
    with app.app_context():
        for task in app.extensions["ticks"]:
            task()
    assert not orphan_new.exists() and not incoming_new.exists()
    assert bid_blob.exists() and doc_blob.exists()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 1


# ---- the body as the server hands it ------------------------------------------------------------

class _Terminated(io.BytesIO):
    """A server's input stream that ends at the body's end itself (gunicorn's Body), and records
    that it was read directly."""

    read_directly = False

    def read(self, size=-1):
        type(self).read_directly = True
        return super().read(size)


def test_body_read_from_a_terminating_servers_stream(db, client, app, sealed_trade, users):  # noqa: F811
    """Under a server that sets wsgi.input_terminated (gunicorn) a declared body is read from the
    server's stream, not through werkzeug's wrapper: the same checks, the same receipt. A declared
    length over MAX_CONTENT_LENGTH still gets werkzeug's 413, and stores nothing."""
    from bidding.crypto import receipt
    from bidding.submission import services

    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code, marker="direct")
    url = f"/api/v1/trades/{sealed_trade.id}/bids"
    headers = {**_auth(client), "Content-Digest": content_digest(data)}
    _Terminated.read_directly = False
    response = client.post(url, data=data, content_type="application/octet-stream", headers=headers,
                           environ_overrides={"wsgi.input_terminated": True, "wsgi.input": _Terminated(data)})
    assert response.status_code == 201, response.get_json()
    assert _Terminated.read_directly
    body = response.get_json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest() and body["size"] == len(data)
    assert receipt.receipt_problem(body["receipt"], services.receipt_public_key()) is None

    before, limit = _files(app), app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = len(data) - 1
    try:
        response = client.post(url, data=data, content_type="application/octet-stream", headers=headers,
                               environ_overrides={"wsgi.input_terminated": True, "wsgi.input": _Terminated(data)})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert _files(app) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 1


class _Broken(io.BytesIO):
    """A connection that breaks after the first piece."""

    def read(self, size=-1):
        if self.tell():
            raise ConnectionResetError("the client went away")
        return super().read(min(size, 600) if size and size > 0 else 600)


def test_a_connection_broken_while_read_from_the_servers_stream_is_a_400(db, client, app, sealed_trade, users):  # noqa: F811
    """As through werkzeug's wrapper: ClientDisconnected (400), no bid, nothing left in the store."""
    data = _envelope(client, sealed_trade, users["bidder"].organisation.credit_code, marker="broken")
    before = _files(app)
    response = client.post(f"/api/v1/trades/{sealed_trade.id}/bids", data=data,
                           content_type="application/octet-stream",
                           headers={**_auth(client), "Content-Digest": content_digest(data)},
                           environ_overrides={"wsgi.input_terminated": True, "wsgi.input": _Broken(data)})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bid)) == 0
    assert _files(app) == before
