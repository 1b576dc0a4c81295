"""The opener's verdicts: opened, revoked (the bidder's fault), withdrawn (the platform's), O20 Art 31."""
from __future__ import annotations

import errno
import hashlib
import io
import os

import pytest

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


def _keeping_jobs(tmp_path, sk, count: int, extra: int = 5000, bad: tuple[int, ...] = ()):
    """`count` envelopes with one file each, every job keeping its files in tmp_path/blobs; the
    envelopes in `bad` are sealed to another key (revoked: nothing may be kept for them)."""
    from bidding.crypto import custody

    root = tmp_path / "blobs"
    root.mkdir(exist_ok=True)
    kek = custody.custody_key("secret")
    other = keys.generate_opening_key().public_key()
    jobs, files = [], []
    for i in range(count):
        bidder, file = f"B{i}", bytes([i]) * (extra + i)
        data = _seal(other if i in bad else sk.public_key(), bidder, f"{10 + i}.00", file)
        (tmp_path / f"e{i}").write_bytes(data)
        jobs.append(opener.Job(str(tmp_path / f"e{i}"), hashlib.sha256(data).hexdigest(), "GC-2026-0001", bidder, 1,
                               keep=custody.Keeper(root, kek, "GC-2026-0001", bidder, 1)))
        files.append(file)
    return root, kek, jobs, files


def _blobs(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


def _kept_bytes(root, kek, kept, bidder):
    from bidding.crypto import custody

    with (root / kept.blob_sha256[:2] / kept.blob_sha256[2:]).open("rb") as fh:
        return b"".join(custody.read_kept(fh, kek, kept.sealed_key, custody.context("GC-2026-0001", bidder, 1, kept.name)))


def test_opened_bids_keep_their_files_readable_and_named_in_the_outcome_revoked_ones_nothing(tmp_path, monkeypatch):
    sk = keys.generate_opening_key()
    root, kek, jobs, files = _keeping_jobs(tmp_path, sk, 20, bad=(4,))
    monkeypatch.setattr(opener, "VERDICT_LAG", 2)  # verdicts and custody overlap across several bids
    monkeypatch.setattr(opener, "KEEP_LAG", 3)
    out = opener.open_all(jobs, sk)
    assert [o.status for o in out] == ["revoked" if i == 4 else "opened" for i in range(20)]
    assert out[4].kept == [] and out[4].files == []
    for i, o in enumerate(out):
        if i == 4:
            continue
        [kept] = o.kept
        assert o.files == [{"name": "a.bin", "size": len(files[i]), "sha256": hashlib.sha256(files[i]).hexdigest()}]
        assert _kept_bytes(root, kek, kept, f"B{i}") == files[i]
    assert len(_blobs(root)) == 19 and not any(p.name.startswith(".incoming-") for p in _blobs(root))


def test_the_streamed_path_keeps_the_same_files(tmp_path, monkeypatch):
    sk = keys.generate_opening_key()
    monkeypatch.setattr(opener, "INLINE_BYTES", 0)
    root, kek, jobs, files = _keeping_jobs(tmp_path, sk, 3, bad=(1,))
    out = opener.open_all(jobs, sk)
    assert [o.status for o in out] == ["opened", "revoked", "opened"]
    assert [_kept_bytes(root, kek, o.kept[0], f"B{i}") for i, o in enumerate(out) if o.kept] == [files[0], files[2]]
    assert len(_blobs(root)) == 2


def test_a_disk_failure_for_one_bid_withdraws_it_for_the_platforms_fault_and_leaves_none_of_its_files(
        tmp_path, monkeypatch):
    from bidding.crypto import custody

    sk = keys.generate_opening_key()
    root, kek, jobs, files = _keeping_jobs(tmp_path, sk, 6, extra=custody.CHUNK + 100)  # two chunks each
    real_write, real_temp = os.write, custody.Keeper._temp
    writes: dict[int, int] = {}  # B3's open temporary files -> writes so far

    def temp(self):
        fd, path = real_temp(self)
        if self._bid[1] == "B3":
            writes[fd] = 0
        return fd, path

    def write(fd, data):  # bidder B3's file hits a full disk on its second chunk
        if fd in writes:
            writes[fd] += 1
            if writes[fd] == 2:
                del writes[fd]
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(custody.Keeper, "_temp", temp)
    monkeypatch.setattr(custody.os, "write", write)
    out = opener.open_all(jobs, sk)
    monkeypatch.setattr(custody.os, "write", real_write)
    assert [o.status for o in out] == ["opened"] * 3 + ["withdrawn"] + ["opened"] * 2
    assert out[3].code == "keep_failed" and out[3].kept == []
    kept = {o.kept[0].blob_sha256 for o in out if o.kept}
    assert {p.parent.name + p.name for p in _blobs(root)} == kept  # nothing of B3's, no temporary file
    assert [_kept_bytes(root, kek, o.kept[0], f"B{i}") for i, o in enumerate(out) if o.kept] == \
           [f for i, f in enumerate(files) if i != 3]


def test_an_opening_that_fails_before_its_record_leaves_no_kept_file(tmp_path, monkeypatch):
    from bidding.crypto import custody

    sk = keys.generate_opening_key()
    root, _kek, jobs, _files = _keeping_jobs(tmp_path, sk, 10)

    def barrier(keepers):
        raise RuntimeError("the barrier broke")

    monkeypatch.setattr(custody, "make_durable", barrier)
    with pytest.raises(RuntimeError):
        opener.open_all(jobs, sk)
    assert _blobs(root) == []


def _sealed_repeating_a_name(pk, bidder: str) -> bytes:
    """A hand-made plaintext (the platform's sealers refuse to make it) attaching two files named alike."""
    from bidding.crypto import records

    form = records.canonical_form({"price": "9.00"})
    plain = (records._record_head(0x01, "form", len(form)) + form
             + records._record_head(0x02, "报价.pdf", 3) + b"one" + records._record_head(0x02, "报价.pdf", 3) + b"two")
    out = io.BytesIO()
    envelope.seal([plain], public_key=pk, trade_ref="GC-2026-0001", bidder_id=bidder, version=1, chunk_size=1024,
                  out=out)
    return out.getvalue()


@pytest.mark.parametrize("streamed", [False, True])
def test_a_bid_repeating_a_file_name_is_revoked_and_the_opening_goes_on(tmp_path, monkeypatch, streamed):
    """One bidder must not stop every opening: two files under one name used to break custody's unique
    (bid, name) row at every retry. The bid is malformed by its sealer: revoked, nothing of it kept."""
    if streamed:
        monkeypatch.setattr(opener, "INLINE_BYTES", 0)
    sk = keys.generate_opening_key()
    root, kek, jobs, files = _keeping_jobs(tmp_path, sk, 3)
    data = _sealed_repeating_a_name(sk.public_key(), "B1")
    (tmp_path / "e1").write_bytes(data)
    jobs[1] = opener.Job(str(tmp_path / "e1"), hashlib.sha256(data).hexdigest(), "GC-2026-0001", "B1", 1,
                         keep=jobs[1].keep)
    out = opener.open_all(jobs, sk)
    assert [o.status for o in out] == ["opened", "revoked", "opened"]
    assert out[1].code == "bad_name" and "报价.pdf" in out[1].detail and out[1].kept == []
    assert len(_blobs(root)) == 2


def test_the_sealer_refuses_to_attach_two_files_under_one_name():
    from bidding.crypto.records import BidFormatError

    with pytest.raises(BidFormatError, match="repeats the file name"):
        b"".join(encode_bid({"price": "1.00"}, [("a.pdf", b"1"), ("a.pdf", b"2")]))
