"""An independent opener for the sealed-bid envelope (format 2, and 1), written from docs/sealed-bid-format.md only.

It exists to check other sealers (the browser's) against the spec; it shares no code with them.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAGIC = b"PRSB"
SUITE = Suite(KEM.P256, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


class EnvelopeError(ValueError):
    pass


@dataclass
class Opened:
    trade_ref: str
    bidder_id: str
    version: int
    fingerprint: bytes
    chunk_size: int
    bound_header: bytes
    sealed_key: bytes
    body_offset: int
    format_version: int
    n_chunks: int
    plaintext: bytes
    file_key: bytes
    records: list[tuple[int, str, bytes]] = field(default_factory=list)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise EnvelopeError("truncated header")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u(self, n: int) -> int:
        return int.from_bytes(self.take(n), "big")


def parse_records(plaintext: bytes) -> list[tuple[int, str, bytes]]:
    records, pos = [], 0
    while pos < len(plaintext):
        if pos + 3 > len(plaintext):
            raise EnvelopeError("truncated record")
        kind = plaintext[pos]
        (ln,) = struct.unpack(">H", plaintext[pos + 1:pos + 3])
        pos += 3
        name = plaintext[pos:pos + ln].decode("utf-8")
        pos += ln
        if pos + 8 > len(plaintext):
            raise EnvelopeError("truncated record")
        (ld,) = struct.unpack(">Q", plaintext[pos:pos + 8])
        pos += 8
        if pos + ld > len(plaintext):
            raise EnvelopeError("truncated record data")
        records.append((kind, name, plaintext[pos:pos + ld]))
        pos += ld
    if not records or records[0][0] != 0x01 or records[0][1] != "form":
        raise EnvelopeError("the first record is not the form")
    if any(kind != 0x02 for kind, _, _ in records[1:]):
        raise EnvelopeError("a record after the form is not a file")
    return records


def open_envelope(data: bytes, private_key: ec.EllipticCurvePrivateKey) -> Opened:
    r = _Reader(data)
    if r.take(4) != MAGIC:
        raise EnvelopeError("not a PRSB envelope")
    fmt = r.u(1)
    if fmt not in (1, 2):
        raise EnvelopeError("unknown format version")
    if (r.u(2), r.u(2), r.u(2)) != (0x0010, 0x0001, 0x0002):
        raise EnvelopeError("unknown suite")
    trade = r.take(r.u(2)).decode("utf-8")
    bidder = r.take(r.u(2)).decode("utf-8")
    version = r.u(4)
    fingerprint = r.take(32)
    chunk = r.u(4)
    if not 1024 <= chunk <= 16_777_216:
        raise EnvelopeError("chunk size out of range")
    declared = (r.u(8), r.u(8)) if fmt == 2 else None  # body length, chunk count
    bound = data[:r.pos]
    le = r.u(2)
    if le != 113:
        raise EnvelopeError("sealed key length is not 113")
    sealed_key = r.take(le)
    header_end = r.pos

    public = private_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    if hashlib.sha256(public).digest() != fingerprint:
        raise EnvelopeError("envelope is sealed to another opening key")
    try:
        file_key = SUITE.decrypt(sealed_key, private_key, info=bound)
    except Exception as exc:  # InvalidTag or a bad enc point
        raise EnvelopeError(f"the file key does not open: {exc!r}") from exc
    if len(file_key) != 32:
        raise EnvelopeError("file key is not 32 bytes")

    h = hashlib.sha256(data[:header_end]).digest()
    kb = HKDF(algorithm=hashes.SHA256(), length=32, salt=h, info=b"PRSB-v1 body").derive(file_key)
    aes = AESGCM(kb)
    body = memoryview(data)[header_end:]
    if len(body) < 16:
        raise EnvelopeError("body too short")
    out, pos, i, step = [], 0, 0, chunk + 16
    while True:
        piece = bytes(body[pos:pos + step])
        last = len(piece) < step or pos + step == len(body)
        if len(piece) < 16:
            raise EnvelopeError("missing last chunk")
        nonce = i.to_bytes(11, "big") + (b"\x01" if last else b"\x00")
        try:
            out.append(aes.decrypt(nonce, piece, h))
        except InvalidTag as exc:
            raise EnvelopeError(f"chunk {i} fails authentication") from exc
        pos += len(piece)
        i += 1
        if last:
            break
    if pos != len(body):
        raise EnvelopeError("data after the last chunk")
    if declared is not None and declared != (len(body), i):
        raise EnvelopeError(f"the header declares {declared}, the body is {(len(body), i)}")
    plaintext = b"".join(out)
    return Opened(trade, bidder, version, fingerprint, chunk, bound, sealed_key, header_end, fmt, i, plaintext,
                  file_key, parse_records(plaintext))
