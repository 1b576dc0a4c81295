"""Opening stored envelopes: pure file and crypto work (no Flask, no database).

Each envelope is read once: the same bytes feed the SHA-256 compared with the receipt and the
decryption, so the receipt check costs one hash, not a second read of the file.
"""
from __future__ import annotations

import hashlib
import io
import os
import threading
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO

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


INLINE_BYTES = 64 * 1024 * 1024  # envelopes up to this size are read whole, the rest streamed
_HASHER: ThreadPoolExecutor | None = None
_HASHER_LOCK = threading.Lock()


def _hasher() -> ThreadPoolExecutor:
    """One background thread for envelope hashes: hashlib releases the GIL on large buffers, so the
    hash of one envelope runs beside its decryption."""
    global _HASHER
    with _HASHER_LOCK:
        if _HASHER is None:
            _HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="envelope-hash")
        return _HASHER


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def open_one(job: Job, private_key) -> Outcome:
    """Open one envelope; never raises (an unexpected error is the platform's: withdrawn). Only an
    opened bid keeps its files: any other outcome leaves nothing in custody."""
    try:
        outcome = _open_one(job, private_key)
    except Exception as exc:  # noqa: BLE001  one bid must never stop the opening of the others
        outcome = Outcome("withdrawn", "platform_error", type(exc).__name__)
    if job.keep is not None:
        if outcome.status == "opened":
            try:
                outcome.kept = job.keep.finish()
            except OSError as exc:
                job.keep.discard()
                return Outcome("withdrawn", "keep_failed", type(exc).__name__)
            outcome.files = [{"name": k.name, "size": k.size, "sha256": k.sha256} for k in outcome.kept]
        else:
            job.keep.discard()
    return outcome


def _open_one(job: Job, private_key) -> Outcome:
    """Open one envelope. The hash is checked against the receipt before any verdict:
    a decryption failure is the bidder's only if the platform kept exactly what it receipted."""
    try:
        fh = open(job.path, "rb")
    except OSError as exc:
        return Outcome("withdrawn", "blob_unreadable", type(exc).__name__)
    with fh, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as plain:
        failure: Outcome | None = None
        opened = None
        try:
            if os.fstat(fh.fileno()).st_size <= INLINE_BYTES:
                # Read once into memory; hash on the second core while this one decrypts.
                data = fh.read()
                hashed = _hasher().submit(_sha256_hex, data)
                source: BinaryIO = io.BytesIO(data)
            else:
                hashed, source = None, _HashingReader(fh)
            try:
                opened = envelope.open_envelope_digest(source, private_key, out=plain)
            except envelope.EnvelopeError as exc:
                failure = Outcome("revoked", exc.code, exc.message)
            if hashed is None:
                source.drain()  # after a failure part of the file is unread: the hash needs all of it
                stored = source.digest.hexdigest()
            else:
                stored = hashed.result()
        except OSError as exc:
            return Outcome("withdrawn", "read_failed", type(exc).__name__)
        if stored != job.expected_sha256:
            return Outcome("withdrawn", "blob_altered", "stored bytes differ from the receipt")
        if failure is not None:
            return failure
        header = opened.header
        if (header.trade_ref, header.bidder_id, header.version) != (job.trade_ref, job.bidder_id, job.version):
            # checked at receipt and the bytes are the receipted ones: the platform's records changed
            return Outcome("withdrawn", "wrong_binding", "sealed for another trade, bidder or version")
        plain.seek(0)
        try:
            sink = job.keep.sink if job.keep is not None else (lambda name, size: _Discard())
            form, files = records.decode_bid_to(plain, sink, hash_files=False)
        except (records.BidFormatError, RecursionError, ValueError) as exc:
            return Outcome("revoked", getattr(exc, "code", "bad_form"), getattr(exc, "message", str(exc)))
    return Outcome("opened", form=form, files=[{"name": f.name, "size": f.size} for f in files],
                   plaintext_sha256=opened.plaintext_sha256.hex())


def open_all(jobs: list[Job], private_key) -> list[Outcome]:
    """Open every envelope, in order, in this thread.

    Measured on two cores, worker threads and processes were both slower than one thread here
    (the per-chunk Python work contends for the GIL; processes pay start-up and transfer), so the
    opening runs sequentially; bench/opening.py shows where the time goes."""
    return [open_one(job, private_key) for job in jobs]
