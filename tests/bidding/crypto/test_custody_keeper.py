"""Kept files (bidding/crypto/custody.py): written from memory or streamed, they decrypt to the same
bytes under the documented format, are named by their ciphertext's SHA-256, survive the durability
barrier, and a failure while keeping leaves nothing behind."""
from __future__ import annotations

import errno
import hashlib
import os
import struct
from pathlib import Path

import pytest

from bidding.crypto import custody

KEK = custody.custody_key("test custody secret")
SIZES = (0, 1, custody.CHUNK - 1, custody.CHUNK, custody.CHUNK + 1, 2 * custody.CHUNK + 12345)


def _keeper(root: Path, bidder: str = "B1") -> custody.Keeper:
    return custody.Keeper(root, KEK, "GC-2026-0001", bidder, 1)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _read(root: Path, kept: custody.KeptFile, bidder: str = "B1") -> bytes:
    path = root / kept.blob_sha256[:2] / kept.blob_sha256[2:]
    with path.open("rb") as fh:
        return b"".join(custody.read_kept(fh, KEK, kept.sealed_key,
                                          custody.context("GC-2026-0001", bidder, 1, kept.name)))


def _chunk_sizes(blob: bytes) -> list[int]:
    assert blob.startswith(custody.MAGIC)
    sizes, pos = [], len(custody.MAGIC)
    while pos < len(blob):
        (n,) = struct.unpack(">I", blob[pos:pos + 4])
        sizes.append(n - custody.TAG)
        pos += 4 + n
    assert pos == len(blob)
    return sizes


@pytest.mark.parametrize("size", SIZES)
def test_in_memory_and_streamed_files_decrypt_to_the_same_bytes_in_the_documented_chunks(tmp_path, size):
    data = os.urandom(size)
    memory, streamed = _keeper(tmp_path / "m"), _keeper(tmp_path / "s")
    (tmp_path / "m").mkdir()
    (tmp_path / "s").mkdir()
    memory.keep(0, "a.bin", memoryview(data)[:])
    writer = streamed.sink("a.bin", size)
    for start in range(0, size, 300_001):  # pieces that do not line up with the chunks
        writer.write(data[start:start + 300_001])
    for keeper, root in ((memory, tmp_path / "m"), (streamed, tmp_path / "s")):
        [kept] = keeper.finish()
        assert (kept.name, kept.size, kept.sha256) == ("a.bin", size, hashlib.sha256(data).hexdigest())
        assert _read(root, kept) == data
        [path] = _files(root)
        blob = path.read_bytes()
        assert hashlib.sha256(blob).hexdigest() == kept.blob_sha256 == path.parent.name + path.name
        assert len(blob) == kept.blob_size
        full, rest = divmod(size, custody.CHUNK)
        expected = [custody.CHUNK] * full + [rest] if rest or not full else [custody.CHUNK] * full
        assert _chunk_sizes(blob) == expected  # 1 MiB chunks, only the last shorter; empty: one empty chunk
        if size >= 64:
            assert data[:64] not in blob  # encrypted at rest


def test_files_of_one_bid_kept_from_several_threads_come_back_in_the_bids_order(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    keeper = _keeper(tmp_path)
    files = [(f"f{i}.bin", os.urandom(100_000 + i)) for i in range(12)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: keeper.keep(i, *files[i]), reversed(range(len(files)))))
    kept = keeper.finish()
    assert [k.name for k in kept] == [name for name, _ in files]
    assert [_read(tmp_path, k) for k in kept] == [data for _, data in files]
    assert len({k.sealed_key for k in kept}) == len(files)  # a fresh data key per file
    assert custody.make_durable([keeper]) == {}


def test_a_moved_file_does_not_decrypt_in_another_documents_context(tmp_path):
    keeper = _keeper(tmp_path)
    kept = keeper.keep(0, "a.bin", b"secret technical proposal")
    with pytest.raises(custody.CustodyError):
        _read(tmp_path, kept, bidder="B2")


def test_the_barrier_reports_the_bids_whose_files_are_not_on_disk(tmp_path):
    keepers = [_keeper(tmp_path, f"B{i}") for i in range(3)]
    for i, keeper in enumerate(keepers):
        keeper.keep(0, "a.bin", os.urandom(5000))
    lost = keepers[1].placed()[0]
    lost.unlink()  # what the barrier cannot sync
    failed = custody.make_durable(keepers)
    assert list(failed) == [1] and isinstance(failed[1], FileNotFoundError)
    keepers[1].discard()
    assert all(p.exists() for k in (keepers[0], keepers[2]) for p in k.placed())


def test_a_disk_failure_while_keeping_leaves_no_file_and_discard_removes_what_was_kept(tmp_path, monkeypatch):
    keeper = _keeper(tmp_path)
    keeper.keep(0, "first.bin", os.urandom(3000))
    real_write, calls = os.write, []

    def write(fd, data):  # the disk fills up in the middle of the second file
        calls.append(len(data))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(custody.os, "write", write)
    with pytest.raises(OSError):
        keeper.keep(1, "second.bin", os.urandom(custody.CHUNK + 10))
    monkeypatch.setattr(custody.os, "write", real_write)
    assert [p.name.startswith(custody.INCOMING) for p in _files(tmp_path)] == [False]  # only the first file
    keeper.discard()
    assert _files(tmp_path) == []


def test_a_streamed_file_abandoned_mid_way_leaves_nothing(tmp_path):
    keeper = _keeper(tmp_path)
    writer = keeper.sink("big.bin", 3 * custody.CHUNK)
    writer.write(os.urandom(custody.CHUNK + 5))  # one chunk written, the bid turns out malformed
    assert _files(tmp_path)
    keeper.discard()
    assert _files(tmp_path) == []
