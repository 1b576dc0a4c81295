"""Opened bid documents at rest: each file encrypted under its own fresh data key, the data key
wrapped under the platform's custody key. Pure file and crypto work (no Flask, no database).

Format of a kept file (docs/bid-custody.md): the 8 bytes `PRCUST01`, then chunks, each a 4-byte
big-endian length and an AES-256-GCM ciphertext of at most 1 MiB of plaintext. The nonce of chunk i
is i as 11 big-endian bytes followed by 0x01 on the last chunk and 0x00 on the others (so a file cut
short or extended does not decrypt); every chunk's associated data is the document's context
(trade, bidder, version, file name), so a file moved to another document does not decrypt either.
A data key is wrapped as nonce (12) || AES-256-GCM(custody key, data key, aad = context).
"""
from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"PRCUST01"
CHUNK = 1024 * 1024
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


class _Writer:
    """Encrypts one file as it streams in; the plaintext is never written anywhere."""

    def __init__(self, root: Path, kek: bytes, ctx: bytes, name: str):
        self.name, self._ctx, self._kek = name, ctx, kek
        self._key = AESGCM.generate_key(bit_length=256)
        self._aead = AESGCM(self._key)
        fd, self.tmp = tempfile.mkstemp(dir=root, prefix=INCOMING)
        self._out = os.fdopen(fd, "wb")
        self._plain, self._cipher = hashlib.sha256(), hashlib.sha256()
        self._buffer, self._index, self.size, self.blob_size = bytearray(), 0, 0, 0
        self._emit(MAGIC)

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._cipher.update(data)
        self.blob_size += len(data)

    def _chunk(self, data: bytes, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._index, last), data, self._ctx)
        self._emit(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1

    def write(self, data: bytes) -> int:
        self._plain.update(data)
        self.size += len(data)
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back: the last chunk is marked
            self._chunk(bytes(self._buffer[:CHUNK]), False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> tuple[str, int, str, str, int, bytes]:
        self._chunk(bytes(self._buffer), True)
        self._buffer.clear()
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        sealed_key = wrap(self._kek, self._key, self._ctx)
        self._key = b""
        return self.name, self.size, self._plain.hexdigest(), self._cipher.hexdigest(), self.blob_size, sealed_key

    def abandon(self) -> None:
        if not self._out.closed:
            self._out.close()
        Path(self.tmp).unlink(missing_ok=True)


class Keeper:
    """Keeps the attached files of one bid as the opening decodes them: `sink(name, size)` is the
    writer factory records.decode_bid_to calls; `finish()` moves every file under its ciphertext's
    SHA-256 into the blob directory; `discard()` (a bid that turned out malformed) leaves nothing."""

    def __init__(self, root: str | os.PathLike, kek: bytes, trade_ref: str, bidder_id: str, version: int):
        self.root, self._kek = Path(root), kek
        self._bid = (trade_ref, bidder_id, version)
        self._writers: list[_Writer] = []
        self._closed: list[tuple[_Writer, tuple]] = []

    def sink(self, name: str, size: int) -> _Writer:
        self._close_open()
        self.root.mkdir(parents=True, exist_ok=True)
        writer = _Writer(self.root, self._kek, context(*self._bid, name), name)
        self._writers.append(writer)
        return writer

    def _close_open(self) -> None:
        while self._writers:
            writer = self._writers.pop()
            self._closed.append((writer, writer.close()))

    def finish(self) -> list[KeptFile]:
        self._close_open()
        kept, kid = [], key_id(self._kek)
        for writer, (name, size, sha, blob_sha, blob_size, sealed_key) in self._closed:
            final = self.root / blob_sha[:2] / blob_sha[2:]
            final.parent.mkdir(exist_ok=True)
            os.replace(writer.tmp, final)
            kept.append(KeptFile(name, size, sha, blob_sha, blob_size, sealed_key, kid))
        self._closed.clear()
        return kept

    def discard(self) -> None:
        for writer in self._writers:
            writer.abandon()
        for writer, _ in self._closed:
            Path(writer.tmp).unlink(missing_ok=True)
        self._writers.clear()
        self._closed.clear()


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
