"""The opener's verdicts: opened, revoked (the bidder's fault), withdrawn (the platform's), O20 Art 31."""
from __future__ import annotations

import hashlib
import io

from bidding.crypto import envelope
from bidding.keyholders import keys
from bidding.ceremony import opener
from bidding.crypto.records import encode_bid


def _seal(pk, bidder: str, price: str, extra: bytes) -> bytes:
    out = io.BytesIO()
    envelope.seal(encode_bid({"price": price}, [("a.bin", extra)]), public_key=pk, trade_ref="GC-2026-0001",
                  bidder_id=bidder, version=1, chunk_size=1024, out=out)
    return out.getvalue()


def test_verdicts(tmp_path):
    sk = keys.generate_opening_key()
    other = keys.generate_opening_key()
    jobs = []
    for i in range(8):
        bidder = f"BIDDER{i}"
        data = _seal(other.public_key() if i == 3 else sk.public_key(), bidder, f"{1000 + i}.00", bytes([i]) * 5000)
        path = tmp_path / f"e{i}"
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        if i == 5:  # the platform's copy changed after the receipt: not the bidder's fault
            path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
        if i == 6:
            path.unlink()
        jobs.append(opener.Job(str(path), digest, "GC-2026-0001", bidder, 1))
    local = opener.open_all(jobs, sk)
    statuses = [o.status for o in local]
    assert statuses == ["opened", "opened", "opened", "revoked", "opened", "withdrawn", "withdrawn", "opened"]
    assert local[5].code == "blob_altered" and local[6].code == "blob_unreadable"
    assert local[0].form == {"price": "1000.00"} and local[0].files == [{"name": "a.bin", "size": 5000}]


def test_streaming_path_gives_the_same_verdicts(tmp_path, monkeypatch):
    """Envelopes above INLINE_BYTES are hashed while streamed instead of read whole."""
    sk = keys.generate_opening_key()
    good = _seal(sk.public_key(), "B1", "1.00", b"x" * 3000)
    bad = _seal(keys.generate_opening_key().public_key(), "B2", "2.00", b"y" * 3000)
    jobs = []
    for name, data in (("good", good), ("bad", bad)):
        (tmp_path / name).write_bytes(data)
        jobs.append(opener.Job(str(tmp_path / name), hashlib.sha256(data).hexdigest(), "GC-2026-0001",
                               "B1" if name == "good" else "B2", 1))
    inline = opener.open_all(jobs, sk)
    monkeypatch.setattr(opener, "INLINE_BYTES", 0)
    streamed = opener.open_all(jobs, sk)
    assert [(o.status, o.code, o.plaintext_sha256) for o in inline] == \
           [(o.status, o.code, o.plaintext_sha256) for o in streamed]
    assert [o.status for o in streamed] == ["opened", "revoked"]
    (tmp_path / "bad").write_bytes(bad[:-1])  # and a changed copy is still the platform's fault
    assert opener.open_all(jobs, sk)[1].status == "withdrawn"
