"""Opened bid documents at rest: each file encrypted under its own fresh data key, the data key
wrapped under the platform's custody key. Pure file and crypto work (no Flask, no database).

Format of a kept file (docs/bid-custody.md): the 8 bytes `PRCUST01`, then chunks, each a 4-byte
big-endian length and an AES-256-GCM ciphertext of at most 1 MiB of plaintext. The nonce of chunk i
is i as 11 big-endian bytes followed by 0x01 on the last chunk and 0x00 on the others (so a file cut
short or extended does not decrypt); every chunk's associated data is the document's context
(trade, bidder, version, file name), so a file moved to another document does not decrypt either.
A data key is wrapped as nonce (12) || AES-256-GCM(custody key, data key, aad = context).

Durability: a kept file is written and moved into place without waiting for the disk (the kernel is
asked to start writing it at once); `make_durable` is the one barrier, run once for every file an
opening kept before its record may commit: it fsyncs each file, then each folder that received one.
"""
from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"PRCUST01"
CHUNK = 1024 * 1024
TAG = 16
INCOMING = ".incoming-"


class CustodyError(ValueError):
    """A kept file or wrapped key that does not open (altered, moved, or another custody key)."""


def custody_key(secret: bytes | str) -> bytes:
    """The key-encryption key, derived from the platform secret the server holds (CUSTODY_SECRET)."""
    secret = secret.encode() if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"PRCUST custody key v1",
                info=b"bid documents").derive(secret)


def key_id(kek: bytes) -> str:
    """Names the custody key a data key was wrapped under (for rotation), not the key itself."""
    return hashlib.sha256(b"PRCUST key id|" + kek).hexdigest()[:16]


def context(trade_ref: str, bidder_id: str, version: int, name: str) -> bytes:
    return "PRCUST|{}|{}|{}|{}".format(trade_ref, bidder_id, version, name).encode("utf-8")


def wrap(kek: bytes, data_key: bytes, ctx: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, b"key|" + ctx)


def unwrap(kek: bytes, wrapped: bytes, ctx: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], b"key|" + ctx)
    except (InvalidTag, ValueError):
        raise CustodyError("the data key does not unwrap under this custody key and context") from None


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


@dataclass(frozen=True)
class KeptFile:
    """One attached file as kept: the bidder's name for it, the plaintext's size and SHA-256, where
    the ciphertext lies (its own SHA-256 in the blob directory) and its wrapped data key."""

    name: str
    size: int
    sha256: str
    blob_sha256: str
    blob_size: int
    sealed_key: bytes
    key_id: str


# ---- writing -------------------------------------------------------------------------------------

_local = threading.local()
_HEAD = len(MAGIC)  # a chunk's frame (length, ciphertext) starts here in the buffer; MAGIC before it


def _out_buffer() -> bytearray:
    """This thread's buffer for one framed chunk (MAGIC, length, ciphertext): reused, because a fresh
    megabyte per chunk costs page faults worth as much as encrypting it."""
    buf = getattr(_local, "buf", None)
    if buf is None:
        buf = _local.buf = bytearray(_HEAD + 4 + CHUNK + TAG)
        buf[:_HEAD] = MAGIC
    return buf


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data):]


def _start_writeback(fd: int) -> None:
    """Ask the kernel to start writing the file to disk now: Linux starts writeback on
    POSIX_FADV_DONTNEED (and drops whatever pages are already clean). A hint only: `make_durable`'s
    fsync is what guarantees the bytes are on disk."""
    if hasattr(os, "posix_fadvise"):
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass


#: files written by this thread whose pages are dropped a few files later, once written back
_RECYCLE_AFTER = 8


def _recycle(path: Path) -> None:
    """Nobody reads a kept file during the opening: once the disk has its bytes, its pages in the
    page cache are dropped, so the next files' writes reuse them instead of taking fresh memory
    (measured: a 1 MiB write into fresh pages cost 3 to 6 times one into recycled pages here)."""
    recent = getattr(_local, "recent", None)
    if recent is None:
        recent = _local.recent = deque()
    recent.append(path)
    if len(recent) > _RECYCLE_AFTER:
        old = recent.popleft()
        try:
            fd = os.open(old, os.O_RDONLY)
        except OSError:  # discarded meanwhile
            return
        try:
            _start_writeback(fd)
        finally:
            os.close(fd)


class _Sealer:
    """Encrypts one file's chunks into the thread's reused buffer and writes each to `fd`, hashing
    the plaintext and the ciphertext on the way: nothing is copied but into the kernel."""

    def __init__(self, fd: int, ctx: bytes) -> None:
        self.fd, self.ctx = fd, ctx
        self.key = AESGCM.generate_key(bit_length=256)
        self._aead = AESGCM(self.key)
        self.plain, self.cipher = hashlib.sha256(), hashlib.sha256()
        self.index, self.size, self.blob_size = 0, 0, 0

    def put(self, piece, last: bool) -> None:
        """Encrypt and write one chunk (at most CHUNK bytes; only the last may be shorter)."""
        out = _out_buffer()
        view, n = memoryview(out), len(piece) + TAG
        struct.pack_into(">I", out, _HEAD, n)
        self._aead.encrypt_into(_nonce(self.index, last), piece, self.ctx, view[_HEAD + 4:_HEAD + 4 + n])
        frame = view[0 if self.index == 0 else _HEAD:_HEAD + 4 + n]  # the first chunk follows MAGIC
        self.plain.update(piece)
        self.cipher.update(frame)
        _write_all(self.fd, frame)
        self.index += 1
        self.size += len(piece)
        self.blob_size += len(frame)


class _Writer:
    """Encrypts one file as it streams in (decode_bid_to's sink); the plaintext is never written."""

    def __init__(self, keeper: Keeper, index: int, name: str):
        self._keeper, self._index, self.name = keeper, index, name
        self.fd, self.tmp = keeper._temp()
        self._sealer = _Sealer(self.fd, context(*keeper._bid, name))
        self._buffer, self._fill = bytearray(CHUNK), 0

    def write(self, data) -> int:
        data = memoryview(data).cast("B")
        size = len(data)
        while data:
            if self._fill == CHUNK:  # full, and more follows: not the last chunk
                self._sealer.put(memoryview(self._buffer), False)
                self._fill = 0
            take = min(len(data), CHUNK - self._fill)
            self._buffer[self._fill:self._fill + take] = data[:take]
            self._fill += take
            data = data[take:]
        return size

    def close(self) -> None:
        self._sealer.put(memoryview(self._buffer)[:self._fill], True)
        self._buffer = bytearray()
        fd, self.fd = self.fd, -1  # _place closes it, whatever happens
        self._keeper._place(self._index, self.name, fd, self.tmp, self._sealer)

    def abandon(self) -> None:
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            _close_quietly(fd)
        Path(self.tmp).unlink(missing_ok=True)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


class Keeper:
    """Keeps the attached files of one bid. Either `keep(index, name, data)` for a file held in memory
    (one call per file, from any thread) or `sink(name, size)`, the writer factory
    records.decode_bid_to calls for a streamed bid. Each file is encrypted into a temporary file in
    the blob directory, then moved under its ciphertext's SHA-256; `finish()` returns them in the
    bid's order; `discard()` (a bid that did not open, or whose files could not be kept) removes
    every file of the bid, temporary or moved. Nothing is durable before `make_durable`."""

    def __init__(self, root: str | os.PathLike, kek: bytes, trade_ref: str, bidder_id: str, version: int):
        self.root, self._kek = Path(root), kek
        self._bid = (trade_ref, bidder_id, version)
        self._lock = threading.Lock()
        self._open: list[_Writer] = []
        self._temps: set[str] = set()
        self._kept: dict[int, tuple[KeptFile, Path]] = {}
        self._key_id = key_id(kek)

    def _temp(self) -> tuple[int, str]:
        try:
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=INCOMING)
        except FileNotFoundError:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=INCOMING)
        with self._lock:
            self._temps.add(tmp)
        return fd, tmp

    def keep(self, index: int, name: str, data) -> KeptFile:
        """Encrypt `data` (bytes or a memoryview, not changed meanwhile) as the bid's `index`-th file."""
        data = memoryview(data).cast("B")
        fd, tmp = self._temp()
        try:
            sealer = _Sealer(fd, context(*self._bid, name))
            count = max(1, -(-len(data) // CHUNK))
            for i in range(count):
                sealer.put(data[i * CHUNK:(i + 1) * CHUNK], i == count - 1)
        except BaseException:
            _close_quietly(fd)
            self._drop_temp(tmp)
            raise
        return self._place(index, name, fd, tmp, sealer)

    def _place(self, index: int, name: str, fd: int, tmp: str, sealer: _Sealer) -> KeptFile:
        """Close the written file (`fd` is closed whatever happens) and move it under its
        ciphertext's SHA-256."""
        try:
            try:
                _start_writeback(fd)
            finally:
                os.close(fd)  # on Linux the descriptor is released even when close reports an error
            blob_sha = sealer.cipher.hexdigest()
            final = self.root / blob_sha[:2] / blob_sha[2:]
            try:
                os.replace(tmp, final)
            except FileNotFoundError:  # the first file in this folder
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
        except BaseException:
            self._drop_temp(tmp)
            raise
        kept = KeptFile(name, sealer.size, sealer.plain.hexdigest(), blob_sha, sealer.blob_size,
                        wrap(self._kek, sealer.key, context(*self._bid, name)), self._key_id)
        sealer.key = b""
        with self._lock:
            self._temps.discard(tmp)
            self._kept[index] = (kept, final)
        _recycle(final)
        return kept

    def _drop_temp(self, tmp: str) -> None:
        Path(tmp).unlink(missing_ok=True)
        with self._lock:
            self._temps.discard(tmp)

    def sink(self, name: str, size: int) -> _Writer:
        self._close_open()
        writer = _Writer(self, len(self._kept), name)
        self._open.append(writer)
        return writer

    def _close_open(self) -> None:
        while self._open:
            writer = self._open.pop()
            try:
                writer.close()
            except BaseException:
                writer.abandon()
                raise

    def finish(self) -> list[KeptFile]:
        """The bid's kept files, in its order (streamed writers still open are closed first)."""
        self._close_open()
        with self._lock:
            return [self._kept[i][0] for i in sorted(self._kept)]

    def placed(self) -> list[Path]:
        """Where the files moved into the blob directory lie (for `make_durable`)."""
        with self._lock:
            return [path for _kept, path in self._kept.values()]

    def discard(self) -> None:
        """Remove every file of this bid, temporary or moved into place. Call it only when no thread
        is still writing one of them."""
        for writer in self._open:
            writer.abandon()
        with self._lock:
            temps, kept = list(self._temps), list(self._kept.values())
            self._open.clear()
            self._temps.clear()
            self._kept.clear()
        for tmp in temps:
            Path(tmp).unlink(missing_ok=True)
        for _kept, path in kept:
            path.unlink(missing_ok=True)


def _fsync_path(path: Path, flags: int = os.O_RDONLY, drop: bool = False) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
        if drop:  # clean now: its pages are dropped (nobody reads it during the opening)
            _start_writeback(fd)
    finally:
        os.close(fd)


#: threads that fsync at once in make_durable: the file system commits their journal entries together
#: (measured: 300 files of 1 MiB, fsynced one after the other 1.7 s, by 16 threads 0.25 s)
SYNC_THREADS = 16


def make_durable(keepers: Iterable[Keeper]) -> dict[int, OSError]:
    """The one durability barrier of an opening: fsync every kept file, then every folder a kept file
    was moved into and the blob directory itself (the temporary names were there), each once.
    Returns the keepers (by position) whose files are not known to be durable, with the error: the
    caller discards them. Run it after every file is written, before the opening record commits."""
    keepers = list(keepers)
    files = [(i, path) for i, keeper in enumerate(keepers) for path in keeper.placed()]
    folders: dict[Path, set[int]] = {}
    for i, path in files:
        folders.setdefault(path.parent, set()).add(i)
        folders.setdefault(keepers[i].root, set()).add(i)
    failed: dict[int, OSError] = {}
    directory = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)

    def sync(owners, path: Path, flags: int, drop: bool) -> None:
        try:
            _fsync_path(path, flags, drop)
        except OSError as exc:
            for i in owners:
                failed.setdefault(i, exc)

    if not files:
        return failed
    with ThreadPoolExecutor(max_workers=min(SYNC_THREADS, len(files)), thread_name_prefix="custody-sync") as pool:
        list(pool.map(lambda f: sync((f[0],), f[1], os.O_RDONLY, True), files))
        # the folders after the files: a name made durable points at durable bytes
        list(pool.map(lambda f: sync(f[1], f[0], directory, False), folders.items()))
    return failed


# ---- reading -------------------------------------------------------------------------------------

def read_kept(fh: BinaryIO, kek: bytes, sealed_key: bytes, ctx: bytes) -> Iterator[bytes]:
    """Decrypt a kept file chunk by chunk; raises CustodyError on any alteration, truncation or
    extension (the last chunk is marked), or a file moved to another document's context."""
    aead = AESGCM(unwrap(kek, sealed_key, ctx))
    if fh.read(len(MAGIC)) != MAGIC:
        raise CustodyError("not a kept bid document")
    index, pending = 0, None
    while True:
        head = fh.read(4)
        if not head:
            break
        if len(head) != 4:
            raise CustodyError("the kept document is truncated")
        sealed = fh.read(struct.unpack(">I", head)[0])
        if pending is not None:
            yield _open_chunk(aead, index - 1, pending, ctx, last=False)
        pending, index = sealed, index + 1
    if pending is None:
        raise CustodyError("the kept document is truncated")
    yield _open_chunk(aead, index - 1, pending, ctx, last=True)


def _open_chunk(aead: AESGCM, index: int, sealed: bytes, ctx: bytes, *, last: bool) -> bytes:
    try:
        return aead.decrypt(_nonce(index, last), sealed, ctx)
    except InvalidTag:
        raise CustodyError(f"chunk {index} of the kept document does not decrypt") from None
