"""Opening stored envelopes: pure file and crypto work (no Flask, no database).

Each envelope is read once: the same bytes feed the SHA-256 compared with the receipt and the
decryption, so the receipt check costs one hash, not a second read of the file. The SHA-256 of
the stored envelope runs on a helper thread (hashing.py) while this one decrypts.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections import deque
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from bidding.ceremony.hashing import Hash, SharedHasher
from bidding.crypto import envelope, records

SPOOL_BYTES = 8 * 1024 * 1024  # plaintext above this spills to a private temporary file


@dataclass
class Job:
    path: str
    expected_sha256: str
    trade_ref: str
    bidder_id: str
    version: int
    #: a bidding.crypto.custody.Keeper: the attached files are kept encrypted, not discarded
    keep: Any = None


@dataclass
class Outcome:
    """`status`: opened | revoked (the bidder's fault) | withdrawn (the platform's fault), O20 Art 31."""

    status: str
    code: str | None = None
    detail: str = ""
    form: dict | None = None
    files: list[dict] = field(default_factory=list)
    plaintext_sha256: str | None = None
    kept: list = field(default_factory=list)  # custody.KeptFile per attached file, when the job keeps them


class _HashingReader:
    """Reads through to the file while hashing every byte read (the envelope's SHA-256)."""

    def __init__(self, fh: BinaryIO):
        self._fh, self.digest = fh, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self.digest.update(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


INLINE_BYTES = 16 * 1024 * 1024  # envelopes up to this size are read whole, larger ones streamed
#: envelopes whose hashes may still be pending (bounds the memory held)
WINDOW_BIDS, WINDOW_BYTES = 8, 48 * 1024 * 1024


class _View:
    """A seekable read-only stream over a memoryview, for decode_bid_to (nothing copied but what is read)."""

    def __init__(self, view: memoryview) -> None:
        self._view, self._pos = view, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._view) if n < 0 else min(len(self._view), self._pos + n)
        data = bytes(self._view[self._pos:end])
        self._pos = max(self._pos, end)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos


class _Buffers:
    """Reused buffers for envelopes and plaintexts: a fresh megabyte per envelope costs page faults
    (large allocations are mapped anew each time) that cost as much as hashing it."""

    def __init__(self) -> None:
        self._free: list[bytearray] = []

    def take(self, size: int) -> bytearray:
        buf = self._free.pop() if self._free else bytearray()
        if len(buf) < size:
            buf = bytearray(size)
        return buf

    def give(self, *bufs: bytearray | None) -> None:
        self._free.extend(b for b in bufs if b is not None)


@dataclass
class Pending:
    """One envelope read and decrypted, its hashes possibly still running on the helper thread."""

    job: Job
    outcome: Outcome | None = None  # the verdict, when known without a hash (unreadable blob)
    stored: Hash | None = None  # SHA-256 of the stored envelope
    failure: Outcome | None = None  # the decryption failed (the bidder's fault if the bytes are receipted)
    header: envelope.EnvelopeHeader | None = None
    plaintext: memoryview | None = None
    plaintext_sha256: str = ""  # hashed here, chunk by chunk, as it is decrypted
    size: int = 0
    buffers: tuple = ()


def open_one(job: Job, private_key) -> Outcome:
    """Open one envelope; never raises (an unexpected error is the platform's: withdrawn)."""
    with SharedHasher() as hasher:
        return verdict(decrypt(job, private_key, hasher, _Buffers()), hasher)


def decrypt(job: Job, private_key, hasher: SharedHasher, buffers: _Buffers) -> Pending:
    """Read the envelope once and decrypt it, hashing the plaintext as it goes (for the record); the
    SHA-256 of the stored bytes (against the receipt) is queued on `hasher`: the bytes hashed are the
    bytes decrypted. Never raises."""
    try:
        return _decrypt(job, private_key, hasher, buffers)
    except Exception as exc:  # noqa: BLE001  one bid must never stop the opening of the others
        return Pending(job, outcome=Outcome("withdrawn", "platform_error", type(exc).__name__))


def _read(fh: BinaryIO, buf: bytearray, size: int) -> memoryview | None:
    """The file's `size` bytes in `buf`, or None if the file is not that long any more or longer."""
    view, got = memoryview(buf)[:size], 0
    while got < size:
        n = fh.readinto(view[got:])
        if not n:
            return None
        got += n
    return view if not fh.read(1) else None


def _decrypt(job: Job, private_key, hasher: SharedHasher, buffers: _Buffers) -> Pending:
    try:
        fh = open(job.path, "rb")
    except OSError as exc:
        return Pending(job, outcome=Outcome("withdrawn", "blob_unreadable", type(exc).__name__))
    with fh:
        try:
            size = os.fstat(fh.fileno()).st_size
            if size > INLINE_BYTES:
                return Pending(job, outcome=_open_streamed(job, fh, private_key))
            stored_buf = buffers.take(size)
            data = _read(fh, stored_buf, size)
        except OSError as exc:
            return Pending(job, outcome=Outcome("withdrawn", "read_failed", type(exc).__name__))
    if data is None:
        buffers.give(stored_buf)
        return Pending(job, outcome=Outcome("withdrawn", "read_failed", "the file changed while it was read"))
    plain_buf = buffers.take(size)
    pending = Pending(job, stored=hasher.submit(data), size=2 * size, buffers=(stored_buf, plain_buf))
    digest = hashlib.sha256()
    try:
        pending.header, pending.plaintext = envelope.open_envelope_bytes(data, private_key, into=plain_buf,
                                                                         digest=digest)
    except envelope.EnvelopeError as exc:
        pending.failure = Outcome("revoked", exc.code, exc.message)
        return pending
    pending.plaintext_sha256 = digest.hexdigest()
    return pending


def verdict(pending: Pending, hasher: SharedHasher, buffers: _Buffers | None = None) -> Outcome:
    """The outcome of a decrypted envelope, once its hashes are known. The hash is checked against
    the receipt before any verdict: a decryption failure is the bidder's only if the platform kept
    exactly what it receipted. Never raises; its buffers go back to `buffers` once no hash uses them."""
    try:
        return _kept(pending.job, _verdict(pending, hasher))
    except Exception as exc:  # noqa: BLE001
        if pending.job.keep is not None:
            pending.job.keep.discard()
        return Outcome("withdrawn", "platform_error", type(exc).__name__)
    finally:
        if pending.stored is not None:
            hasher.settle(pending.stored)
        pending.plaintext = None
        if buffers is not None:
            buffers.give(*pending.buffers)
        pending.buffers = ()


def _kept(job: Job, outcome: Outcome) -> Outcome:
    """Only an opened bid keeps its files (bidding.custody): any other outcome leaves nothing kept."""
    if job.keep is None:
        return outcome
    if outcome.status != "opened":
        job.keep.discard()
        return outcome
    try:
        outcome.kept = job.keep.finish()
    except OSError as exc:
        job.keep.discard()
        return Outcome("withdrawn", "keep_failed", type(exc).__name__)
    outcome.files = [{"name": k.name, "size": k.size, "sha256": k.sha256} for k in outcome.kept]
    return outcome


def _verdict(pending: Pending, hasher: SharedHasher) -> Outcome:
    job = pending.job
    if pending.outcome is not None:
        return pending.outcome
    if hasher.result(pending.stored) != job.expected_sha256:
        return Outcome("withdrawn", "blob_altered", "stored bytes differ from the receipt")
    if pending.failure is not None:
        return pending.failure
    return _checked(job, pending.header, _View(pending.plaintext), pending.plaintext_sha256)


def _checked(job: Job, header: envelope.EnvelopeHeader, plain: BinaryIO, plaintext_sha256: str) -> Outcome:
    """The verdict on receipted bytes that decrypted: the binding, then the bid's records."""
    if (header.trade_ref, header.bidder_id, header.version) != (job.trade_ref, job.bidder_id, job.version):
        # checked at receipt and the bytes are the receipted ones: the platform's records changed
        return Outcome("withdrawn", "wrong_binding", "sealed for another trade, bidder or version")
    try:
        form, files = records.decode_bid_to(plain, job.keep.sink if job.keep is not None else None,
                                            hash_files=False)
    except (records.BidFormatError, RecursionError, ValueError, OverflowError) as exc:
        return Outcome("revoked", getattr(exc, "code", "bad_form"), getattr(exc, "message", str(exc)))
    return Outcome("opened", form=form, files=[{"name": f.name, "size": f.size} for f in files],
                   plaintext_sha256=plaintext_sha256)


def _open_streamed(job: Job, fh: BinaryIO, private_key) -> Outcome:
    """A large envelope, streamed: hashed while read, the plaintext spooled (to disk above SPOOL_BYTES)."""
    source = _HashingReader(fh)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as plain:
        failure: Outcome | None = None
        opened = None
        try:
            try:
                opened = envelope.open_envelope_digest(source, private_key, out=plain)
            except envelope.EnvelopeError as exc:
                failure = Outcome("revoked", exc.code, exc.message)
            source.drain()  # after a failure part of the file is unread: the hash needs all of it
        except OSError as exc:
            return Outcome("withdrawn", "read_failed", type(exc).__name__)
        if source.digest.hexdigest() != job.expected_sha256:
            return Outcome("withdrawn", "blob_altered", "stored bytes differ from the receipt")
        if failure is not None:
            return failure
        plain.seek(0)
        return _checked(job, opened.header, plain, opened.plaintext_sha256.hex())


def open_all(jobs: list[Job], private_key) -> list[Outcome]:
    """Open every envelope, in order: this thread reads, decrypts and hashes the plaintexts, the
    envelopes' hashes are shared with a helper thread, and the verdicts follow up to WINDOW_BIDS
    envelopes behind.

    Measured on two cores, opening envelopes in several threads or processes was slower than this
    (the per-envelope Python work contends for the GIL; processes pay start-up and transfer), while
    the SHA-256s, two per envelope, release the GIL; bench/opening.py shows where the time goes."""
    window: deque[Pending] = deque()
    held, out, buffers = 0, [], _Buffers()
    with SharedHasher() as hasher:
        for job in jobs:
            pending = decrypt(job, private_key, hasher, buffers)
            window.append(pending)
            held += pending.size
            while len(window) > WINDOW_BIDS or (held > WINDOW_BYTES and len(window) > 1):
                done = window.popleft()
                held -= done.size
                out.append(verdict(done, hasher, buffers))
        out.extend(verdict(p, hasher, buffers) for p in window)
    return out
