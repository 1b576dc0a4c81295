"""Opening stored envelopes: pure file and crypto work (no Flask, no database).

Each envelope is read once: the same bytes feed the SHA-256 compared with the receipt and the
decryption, so the receipt check costs one hash, not a second read of the file. The SHA-256 of
the stored envelope runs on a helper thread (hashing.py) while this one decrypts, and so does the
custody of each opened bid's files (bidding/crypto/custody.py: encrypted from views of the plaintext,
nothing copied), all made durable by one barrier before the opening returns.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections import deque
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from bidding.ceremony.hashing import Hash, SharedHasher, Task, helper_count
from bidding.crypto import custody, envelope, records

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
#: envelopes decrypted ahead of their verdict (their hashes run meanwhile), bids judged ahead of
#: collecting their custody (their files are being kept meanwhile), and the memory held by both
VERDICT_LAG, KEEP_LAG, WINDOW_BYTES = 8, 8, 64 * 1024 * 1024


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

    ROUND = 256 * 1024  # sizes are rounded up, so envelopes a few bytes apart share buffers

    def take(self, size: int) -> bytearray:
        for i in range(len(self._free) - 1, -1, -1):
            if len(self._free[i]) >= size:
                return self._free.pop(i)
        if self._free:
            self._free.pop(0)  # too small for this one: let it go
        return bytearray(-(-size // self.ROUND) * self.ROUND)

    def give(self, *bufs: bytearray | None) -> None:
        self._free.extend(b for b in bufs if b is not None)


@dataclass
class Pending:
    """One envelope read and decrypted, its hashes possibly still running on a helper thread; after its
    verdict, the custody of its files possibly still running too."""

    job: Job
    outcome: Outcome | None = None  # the verdict, when known without a hash (unreadable blob)
    stored: Hash | None = None  # SHA-256 of the stored envelope
    failure: Outcome | None = None  # the decryption failed (the bidder's fault if the bytes are receipted)
    header: envelope.EnvelopeHeader | None = None
    plaintext: memoryview | None = None
    plain_hash: Hash | None = None  # SHA-256 of the plaintext (the record's), queued once decrypted
    stored_buf: bytearray | None = None  # the envelope's bytes, until its hash is done
    plain_buf: bytearray | None = None  # the plaintext, until its files are kept
    keeping: list[Task] = field(default_factory=list)  # Keeper.keep of each attached file, queued

    @property
    def size(self) -> int:
        return sum(len(b) for b in (self.stored_buf, self.plain_buf) if b is not None)


def open_one(job: Job, private_key) -> Outcome:
    """Open one envelope; never raises (an unexpected error is the platform's: withdrawn)."""
    return open_all([job], private_key)[0]


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
    pending = Pending(job, stored=hasher.submit(data), stored_buf=stored_buf, plain_buf=buffers.take(size))
    try:
        pending.header, pending.plaintext = envelope.open_envelope_bytes(data, private_key, into=pending.plain_buf)
    except envelope.EnvelopeError as exc:
        pending.failure = Outcome("revoked", exc.code, exc.message)
        return pending
    pending.plain_hash = hasher.submit(pending.plaintext)  # in one piece: one release of the GIL, not one per chunk
    return pending


def verdict(pending: Pending, hasher: SharedHasher, buffers: _Buffers | None = None) -> None:
    """Decide `pending.outcome` once the envelope's hash is known, and queue the custody of an opened
    bid's files on `hasher` (`collect` gathers them). The hash is checked against the receipt before
    any verdict: a decryption failure is the bidder's only if the platform kept exactly what it
    receipted. Never raises; the envelope's buffer goes back to `buffers` once no hash reads it."""
    try:
        pending.outcome = _verdict(pending, hasher)
    except Exception as exc:  # noqa: BLE001
        pending.outcome = Outcome("withdrawn", "platform_error", type(exc).__name__)
    finally:
        if pending.stored is not None:
            hasher.settle(pending.stored)
        if buffers is not None:
            buffers.give(pending.stored_buf)
        pending.stored_buf = None


def collect(pending: Pending, hasher: SharedHasher, buffers: _Buffers | None = None) -> Outcome:
    """The outcome of a judged envelope once its files are kept: only an opened bid keeps its files
    (bidding.custody), any other outcome leaves nothing kept, and a bid whose files could not be kept
    is withdrawn for the platform's fault (keep_failed), never opened without them. Never raises."""
    job, outcome = pending.job, pending.outcome
    try:
        if outcome.status == "opened" and pending.plain_hash is not None:
            outcome.plaintext_sha256 = hasher.result(pending.plain_hash)
        errors = []
        for task in pending.keeping:
            try:
                hasher.result(task)
            except Exception as exc:  # noqa: BLE001  every file's task is waited for before the verdict
                errors.append(exc)
        return _kept(job, outcome, errors)
    except Exception as exc:  # noqa: BLE001
        if job.keep is not None:
            for task in pending.keeping:  # no thread may still be writing one of its files
                hasher.settle(task)
            job.keep.discard()
        return Outcome("withdrawn", "platform_error", type(exc).__name__)
    finally:
        for task in pending.keeping + ([pending.plain_hash] if pending.plain_hash is not None else []):
            hasher.settle(task)
        pending.keeping, pending.plaintext = [], None
        if buffers is not None:
            buffers.give(pending.plain_buf)
        pending.plain_buf = None


def _kept(job: Job, outcome: Outcome, errors: list[Exception]) -> Outcome:
    if job.keep is None:
        return outcome
    if outcome.status != "opened":
        job.keep.discard()
        return outcome
    for exc in errors:
        if not isinstance(exc, OSError):
            raise exc
    try:
        if errors:
            raise errors[0]
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
    outcome = _checked(job, pending.header, _View(pending.plaintext), "", stream=False)
    if outcome.status == "opened" and job.keep is not None:
        files = _files_in(pending.plaintext)
        if [(name, len(data)) for name, data in files] != [(f["name"], f["size"]) for f in outcome.files]:
            raise RuntimeError("the files found differ from the files decoded")
        pending.keeping = [hasher.call(job.keep.keep, i, name, data) for i, (name, data) in enumerate(files)]
    return outcome


def _files_in(plain: memoryview) -> list[tuple[str, memoryview]]:
    """The attached files of a record stream records.decode_bid_to has accepted, as views of it (the
    layout of bidding/crypto/records.py: kind (1), name length (2), name, size (8), bytes)."""
    files, pos = [], 0
    while pos < len(plain):
        kind, name_len = plain[pos], int.from_bytes(plain[pos + 1:pos + 3], "big")
        name = bytes(plain[pos + 3:pos + 3 + name_len]).decode("utf-8")
        start = pos + 11 + name_len
        size = int.from_bytes(plain[start - 8:start], "big")
        if kind == 0x02:
            files.append((name, plain[start:start + size]))
        pos = start + size
    return files


def _checked(job: Job, header: envelope.EnvelopeHeader, plain: BinaryIO, plaintext_sha256: str,
             stream: bool) -> Outcome:
    """The verdict on receipted bytes that decrypted: the binding, then the bid's records. A streamed
    bid's files are kept as they are decoded; an in-memory one's are skipped here (kept from views)."""
    if (header.trade_ref, header.bidder_id, header.version) != (job.trade_ref, job.bidder_id, job.version):
        # checked at receipt and the bytes are the receipted ones: the platform's records changed
        return Outcome("withdrawn", "wrong_binding", "sealed for another trade, bidder or version")
    sink = job.keep.sink if stream and job.keep is not None else None
    try:
        form, files = records.decode_bid_to(plain, sink, hash_files=False)
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
        return _checked(job, opened.header, plain, opened.plaintext_sha256.hex(), stream=True)


def open_all(jobs: list[Job], private_key) -> list[Outcome]:
    """Open every envelope, in order, and make the kept files durable before returning: this thread
    reads, decrypts and hashes the plaintexts; the envelopes' hashes and the custody of the opened
    bids' files (encrypt, hash, write) are queued on helper threads, which this thread joins whenever it
    would otherwise wait. Verdicts follow up to VERDICT_LAG envelopes behind the decryption, and the
    custody's results up to KEEP_LAG bids behind the verdicts (WINDOW_BYTES bounds the memory held).

    Measured on two cores, opening envelopes in several threads or processes was slower than this
    (the per-envelope Python work contends for the GIL; processes pay start-up and transfer), while
    the SHA-256s and AES-GCM release the GIL; bench/opening.py shows where the time goes."""
    try:
        with SharedHasher(helper_count()) as hasher:
            try:
                outcomes = _open_in_order(jobs, private_key, hasher)
            except BaseException:
                hasher.cancel()
                raise
        return _durable(jobs, outcomes)
    except BaseException:
        for job in jobs:  # the helpers have stopped: nothing is writing any more
            if job.keep is not None:
                job.keep.discard()
        raise


def _open_in_order(jobs: list[Job], private_key, hasher: SharedHasher) -> list[Outcome]:
    decrypted: deque[Pending] = deque()
    judged: deque[Pending] = deque()
    out, buffers = [], _Buffers()

    def held() -> int:
        return sum(p.size for p in decrypted) + sum(p.size for p in judged)

    for job in jobs:
        decrypted.append(decrypt(job, private_key, hasher, buffers))
        while len(decrypted) > VERDICT_LAG or (len(decrypted) > 1 and held() > WINDOW_BYTES):
            pending = decrypted.popleft()
            verdict(pending, hasher, buffers)
            judged.append(pending)
        while len(judged) > KEEP_LAG or (judged and held() > WINDOW_BYTES):
            out.append(collect(judged.popleft(), hasher, buffers))
    for pending in decrypted:
        verdict(pending, hasher, buffers)
        judged.append(pending)
    out.extend(collect(p, hasher, buffers) for p in judged)
    return out


def _durable(jobs: list[Job], outcomes: list[Outcome]) -> list[Outcome]:
    """One durability barrier for every file kept (bidding.crypto.custody.make_durable), before the
    caller writes and commits the opening record; a bid whose files are not known to be on disk is
    withdrawn for the platform's fault (keep_failed) and its files removed."""
    keeping = [i for i, o in enumerate(outcomes) if o.kept]
    failed = custody.make_durable([jobs[i].keep for i in keeping])
    for position, exc in failed.items():
        i = keeping[position]
        jobs[i].keep.discard()
        outcomes[i] = Outcome("withdrawn", "keep_failed", type(exc).__name__)
    return outcomes
