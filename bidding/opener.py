"""Opening stored envelopes: pure file and crypto work (no Flask, no database).

Each envelope is read once: the same bytes feed the SHA-256 compared with the receipt and the
decryption, so the receipt check costs one hash, not a second read of the file.
"""
from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from typing import BinaryIO

from bidding import envelope, records

SPOOL_BYTES = 8 * 1024 * 1024  # plaintext above this spills to a private temporary file


@dataclass
class Job:
    path: str
    expected_sha256: str
    trade_ref: str
    bidder_id: str
    version: int


@dataclass
class Outcome:
    """`status`: opened | revoked (the bidder's fault) | withdrawn (the platform's fault), O20 Art 31."""

    status: str
    code: str | None = None
    detail: str = ""
    form: dict | None = None
    files: list[dict] = field(default_factory=list)
    plaintext_sha256: str | None = None


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


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)


def open_one(job: Job, private_key) -> Outcome:
    """Open one envelope; never raises. The hash is checked against the receipt before any verdict:
    a decryption failure is the bidder's only if the platform kept exactly what it receipted."""
    try:
        fh = open(job.path, "rb")
    except OSError as exc:
        return Outcome("withdrawn", "blob_unreadable", type(exc).__name__)
    with fh, tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as plain:
        reader = _HashingReader(fh)
        failure: Outcome | None = None
        opened = None
        try:
            opened = envelope.open_envelope_digest(reader, private_key, out=plain)
        except envelope.EnvelopeError as exc:
            failure = Outcome("revoked", exc.code, exc.message)
        except OSError as exc:
            return Outcome("withdrawn", "read_failed", type(exc).__name__)
        try:
            reader.drain()  # after a failure part of the file is unread: the hash needs all of it
        except OSError as exc:
            return Outcome("withdrawn", "read_failed", type(exc).__name__)
        if reader.digest.hexdigest() != job.expected_sha256:
            return Outcome("withdrawn", "blob_altered", "stored bytes differ from the receipt")
        if failure is not None:
            return failure
        header = opened.header
        if (header.trade_ref, header.bidder_id, header.version) != (job.trade_ref, job.bidder_id, job.version):
            return Outcome("revoked", "wrong_binding", "sealed for another trade, bidder or version")
        plain.seek(0)
        try:
            form, files = records.decode_bid_to(plain, lambda name, size: _Discard(), hash_files=False)
        except records.BidFormatError as exc:
            return Outcome("revoked", exc.code, exc.message)
    return Outcome("opened", form=form, files=[{"name": f.name, "size": f.size} for f in files],
                   plaintext_sha256=opened.plaintext_sha256.hex())


def open_all(jobs: list[Job], private_key) -> list[Outcome]:
    """Open every envelope, in order, in this thread.

    Measured on two cores, worker threads and processes were both slower than one thread here
    (the per-chunk Python work contends for the GIL; processes pay start-up and transfer), so the
    opening runs sequentially; bench/opening.py shows where the time goes."""
    return [open_one(job, private_key) for job in jobs]
