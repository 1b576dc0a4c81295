"""The opener's verdicts: opened, revoked (the bidder's fault), withdrawn (the platform's), O20 Art 31."""
from __future__ import annotations

import hashlib
import io

from bidding import envelope, keys, opener
from bidding.records import encode_bid


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
