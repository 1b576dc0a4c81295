"""The sealed-bid envelope, format versions 2 (sealed now) and 1 (still opened): docs/sealed-bid-format.md.

Everything here streams: a bid may carry large files, and neither the sealer, the platform's
receipt check nor the opener ever holds more than a couple of chunks in memory. Only the standard
library and `cryptography` are imported, so the module can be reviewed and reused on its own.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO, Union

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .records import (
    BidFormatError, FileEntry, canonical_form, decode_bid, decode_bid_to, encode_bid, read_exact,
    validate_price,
)

# The bid records are part of the envelope spec: re-exported so callers need one import.
__all__ = [
    "BidFormatError", "EnvelopeError", "EnvelopeHeader", "FileEntry", "OpenedEnvelope",
    "body_layout", "build_bound_header", "canonical_form", "decode_bid", "decode_bid_to",
    "encode_bid", "fingerprint", "fingerprint_hex", "load_public_key", "open_envelope",
    "open_envelope_bytes", "open_envelope_digest", "parse_header", "public_key_bytes", "seal", "validate_price",
    "write_envelope",
]

MAGIC = b"PRSB"
#: What sealers write and the platform accepts on upload. Version 1 (no declared body length) is
#: still parsed and opened: bids received before version 2 stay openable.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
KEM_ID, KDF_ID, AEAD_ID = 0x0010, 0x0001, 0x0002
SUITE_IDS = struct.pack(">HHH", KEM_ID, KDF_ID, AEAD_ID)
ENC_LEN = 65
SEALED_KEY_LEN = 113  # enc (65) + AES-256-GCM(32-byte key) (48)
TAG_LEN = 16
MIN_CHUNK, MAX_CHUNK, DEFAULT_CHUNK = 1024, 16 * 1024 * 1024, 65536
BODY_INFO = b"PRSB-v1 body"
SUITE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_IO_BLOCK = 1024 * 1024
#: The longest possible header (two 65 535-byte texts): a stream that has not finished its header
#: by then is not an envelope of ours.
MAX_HEADER = 4 + 1 + 6 + 2 * (2 + 0xFFFF) + 4 + 32 + 4 + 8 + 8 + 2 + SEALED_KEY_LEN

Plaintext = Union[BinaryIO, Iterable[bytes]]


class EnvelopeError(ValueError):
    """A refused or unopenable envelope; `code` is stable (shown to users, stored on refusals)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# --- keys and fingerprints -------------------------------------------------------------------

def public_key_bytes(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The 65-byte uncompressed SEC1 point; refuses anything but P-256 (the only suite in v1)."""
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
        raise ValueError("the opening key must be a P-256 public key")
    return public_key.public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.UncompressedPoint)


def fingerprint(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """SHA-256 of the uncompressed SEC1 point: what the notice publishes and the header carries."""
    return hashlib.sha256(public_key_bytes(public_key)).digest()


def fingerprint_hex(public_key: ec.EllipticCurvePublicKey) -> str:
    return fingerprint(public_key).hex()


def load_public_key(data: str | bytes) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from PEM, or hex of its SEC1 point (what a notice may print)."""
    raw = data.encode() if isinstance(data, str) else bytes(data)
    raw = raw.strip()
    if raw.startswith(b"-----BEGIN"):
        key = serialization.load_pem_public_key(raw)
        public_key_bytes(key)  # type: ignore[arg-type]
        return key  # type: ignore[return-value]
    try:
        point = bytes.fromhex(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("expected a PEM public key or the hex of a SEC1 P-256 point") from None
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


# --- the envelope header ----------------------------------------------------------------------

@dataclass(frozen=True)
class EnvelopeHeader:
    """A parsed header. `header_bytes` is the whole header as written (H ‖ Le ‖ sealed key);
    `header_hash` = SHA-256 of it (the body's AAD and HKDF salt). `size`/`sha256` describe the
    whole envelope when a function that read or wrote all of it (check/write) knows them."""
    trade_ref: str
    bidder_id: str
    version: int
    fingerprint: bytes
    chunk_size: int
    sealed_key: bytes
    header_bytes: bytes
    header_hash: bytes
    size: int | None = None
    sha256: bytes | None = None
    format_version: int = FORMAT_VERSION
    #: version 2 declares the body's length in bytes and its number of chunks (None in version 1)
    body_length: int | None = None
    chunks: int | None = None

    @property
    def bound_header(self) -> bytes:
        """H: everything before Le, the HPKE `info` that binds the file key."""
        return self.header_bytes[: len(self.header_bytes) - 2 - len(self.sealed_key)]


def body_layout(plaintext_size: int, chunk_size: int) -> tuple[int, int]:
    """(body length, chunk count) of a plaintext of this size: max(1, ceil(P / C)) chunks, each
    with a 16-byte tag. What a version 2 header declares."""
    if isinstance(plaintext_size, bool) or not isinstance(plaintext_size, int) or plaintext_size < 0:
        raise ValueError("the plaintext size must be a non-negative integer")
    chunks = max(1, -(-plaintext_size // chunk_size))
    return plaintext_size + TAG_LEN * chunks, chunks


def _declared_layout_ok(body_length: int, chunks: int, chunk_size: int) -> bool:
    """A declared (length, count) pair is one body_layout() can give: the count follows from the
    length, and only a single chunk may be empty."""
    plain = body_length - TAG_LEN * chunks
    return chunks >= 1 and plain >= 0 and body_layout(plain, chunk_size) == (body_length, chunks)


def build_bound_header(trade_ref: str, bidder_id: str, version: int, key_fingerprint: bytes,
                       chunk_size: int = DEFAULT_CHUNK, *, plaintext_size: int | None = None,
                       format_version: int = FORMAT_VERSION) -> bytes:
    """H for the given binding; validates every field so a sealer cannot write a bad header.

    Version 2 (the default) needs `plaintext_size`: H declares the body length and chunk count.
    Version 1 is for the legacy test vector only."""
    if format_version not in READABLE_VERSIONS:
        raise ValueError(f"format version {format_version} does not exist")
    parts = [MAGIC, bytes([format_version]), SUITE_IDS]
    for label, text in (("trade reference", trade_ref), ("bidder identifier", bidder_id)):
        raw = text.encode("utf-8") if isinstance(text, str) else b""
        if not raw or len(raw) > 0xFFFF:
            raise ValueError(f"the {label} must be 1 to 65535 bytes of UTF-8 text")
        parts += [struct.pack(">H", len(raw)), raw]
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 0xFFFFFFFF:
        raise ValueError("the bid version must be an integer from 1")
    if len(key_fingerprint) != 32:
        raise ValueError("the key fingerprint must be 32 bytes")
    if isinstance(chunk_size, bool) or not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk size must be from {MIN_CHUNK} to {MAX_CHUNK} bytes")
    parts += [struct.pack(">I", version), bytes(key_fingerprint), struct.pack(">I", chunk_size)]
    if format_version >= 2:
        if plaintext_size is None:
            raise ValueError("a version 2 header declares the body: give the plaintext size")
        parts.append(struct.pack(">QQ", *body_layout(plaintext_size, chunk_size)))
    elif plaintext_size is not None:
        raise ValueError("a version 1 header declares no body length")
    return b"".join(parts)


def parse_header(stream: BinaryIO) -> EnvelopeHeader:
    """Read exactly the header from `stream` and check its structure (not its binding)."""
    seen: list[bytes] = []

    def take(n: int, what: str) -> bytes:
        data = read_exact(stream, n)
        seen.append(data)
        if len(data) != n:
            raise EnvelopeError("truncated", f"the envelope ends inside the header ({what})")
        return data

    head = read_exact(stream, 4)
    if head != MAGIC:
        if head and len(head) < 4 and MAGIC.startswith(head):
            raise EnvelopeError("truncated", "the envelope ends inside the magic number")
        raise EnvelopeError("not_an_envelope", "this file is not a sealed bid (no PRSB magic): "
                            "bids must be sealed before upload")
    seen.append(head)
    if (fmt := take(1, "format version")[0]) not in READABLE_VERSIONS:
        raise EnvelopeError("unsupported_version", f"envelope format version {fmt} is not supported")
    if take(6, "suite ids") != SUITE_IDS:
        raise EnvelopeError("unsupported_suite", "the envelope uses another HPKE suite than "
                            "DHKEM(P-256)/HKDF-SHA256/AES-256-GCM")
    texts = []
    for what in ("trade reference", "bidder identifier"):
        raw = take(struct.unpack(">H", take(2, f"{what} length"))[0], what)
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise EnvelopeError("bad_header", f"the {what} is not UTF-8") from None
        if not raw:
            raise EnvelopeError("bad_header", f"the {what} is empty")
    version = struct.unpack(">I", take(4, "bid version"))[0]
    if version < 1:
        raise EnvelopeError("bad_header", "the bid version must be at least 1")
    key_fp = take(32, "key fingerprint")
    chunk = struct.unpack(">I", take(4, "chunk size"))[0]
    if not MIN_CHUNK <= chunk <= MAX_CHUNK:
        raise EnvelopeError("bad_chunk_size", f"chunk size {chunk} is outside {MIN_CHUNK}..{MAX_CHUNK}")
    body_length = chunks = None
    if fmt >= 2:
        body_length, chunks = struct.unpack(">QQ", take(16, "declared body length and chunk count"))
        if not _declared_layout_ok(body_length, chunks, chunk):
            raise EnvelopeError("bad_header", f"the declared body ({body_length} bytes in {chunks} "
                                f"chunks of {chunk}) is not a possible body")
    le = struct.unpack(">H", take(2, "sealed key length"))[0]
    if le != SEALED_KEY_LEN:
        raise EnvelopeError("bad_sealed_key", f"sealed key length {le}, expected {SEALED_KEY_LEN}")
    sealed = take(le, "sealed key")
    try:
        if sealed[0] != 0x04:
            raise ValueError
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sealed[:ENC_LEN])
    except ValueError:
        raise EnvelopeError("bad_sealed_key", "the sealed key's enc is not a P-256 point") from None
    header = b"".join(seen)
    return EnvelopeHeader(texts[0], texts[1], version, key_fp, chunk, sealed, header,
                          hashlib.sha256(header).digest(), format_version=fmt,
                          body_length=body_length, chunks=chunks)


def _with_totals(header: EnvelopeHeader, size: int, digest: bytes) -> EnvelopeHeader:
    return replace(header, size=size, sha256=digest)


# --- sealing and opening ----------------------------------------------------------------------

def _body_cipher(file_key: bytes, header_hash: bytes) -> AESGCM:
    kb = HKDF(algorithm=hashes.SHA256(), length=32, salt=header_hash, info=BODY_INFO).derive(file_key)
    return AESGCM(kb)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _chunks(plaintext: Plaintext, size: int) -> Iterator[bytes]:
    """Exact `size`-byte pieces of a stream or an iterable of bytes, the last one shorter."""
    if hasattr(plaintext, "read"):
        while piece := read_exact(plaintext, size):  # type: ignore[arg-type]
            yield piece
        return
    buf, off = bytearray(), 0
    for piece in plaintext:  # type: ignore[union-attr]
        buf += piece
        while len(buf) - off >= size:
            yield bytes(buf[off:off + size])
            off += size
        del buf[:off]
        off = 0
    if buf:
        yield bytes(buf)


def write_envelope(plaintext: Plaintext, *, bound_header: bytes, file_key: bytes,
                   sealed_key: bytes, out: BinaryIO) -> EnvelopeHeader:
    """Write an envelope given an already sealed file key (test vectors, other HPKE code).
    A version 2 header must declare exactly the body this plaintext makes (ValueError if not:
    the caller discards what was written)."""
    if len(file_key) != 32 or len(sealed_key) != SEALED_KEY_LEN:
        raise ValueError("need a 32-byte file key and a 113-byte sealed key")
    header_bytes = bound_header + struct.pack(">H", len(sealed_key)) + sealed_key
    header = parse_header(io.BytesIO(header_bytes))
    aead, h = _body_cipher(file_key, header.header_hash), header.header_hash
    total, digest = len(header_bytes), hashlib.sha256(header_bytes)
    out.write(header_bytes)
    index, pending = 0, None
    for chunk in _chunks(plaintext, header.chunk_size):
        if pending is not None:
            block = aead.encrypt(_nonce(index, False), pending, h)
            out.write(block)
            digest.update(block)
            total, index = total + len(block), index + 1
        pending = chunk
    block = aead.encrypt(_nonce(index, True), pending or b"", h)
    out.write(block)
    digest.update(block)
    total += len(block)
    if header.body_length is not None and (total - len(header_bytes), index + 1) != (header.body_length,
                                                                                    header.chunks):
        raise ValueError(f"the plaintext made a body of {total - len(header_bytes)} bytes in {index + 1} "
                         f"chunks, the header declares {header.body_length} in {header.chunks}")
    return _with_totals(header, total, digest.digest())


def _sized(plaintext: Plaintext) -> tuple[Plaintext, int]:
    """The plaintext and its size in bytes: a version 2 header declares it before the body."""
    if isinstance(plaintext, (bytes, bytearray, memoryview)):
        return [bytes(plaintext)], len(plaintext)
    if hasattr(plaintext, "read"):
        try:
            start = plaintext.tell()  # type: ignore[union-attr]
            end = plaintext.seek(0, io.SEEK_END)  # type: ignore[union-attr]
            plaintext.seek(start)  # type: ignore[union-attr]
            return plaintext, end - start
        except (OSError, AttributeError, ValueError):
            pass
        stream = plaintext
        plaintext = iter(lambda: stream.read(_IO_BLOCK) or b"", b"")  # type: ignore[union-attr]
    pieces = [bytes(p) for p in plaintext]  # type: ignore[union-attr]
    return pieces, sum(len(p) for p in pieces)


def seal(plaintext: Plaintext, *, public_key: ec.EllipticCurvePublicKey, trade_ref: str,
         bidder_id: str, version: int, chunk_size: int = DEFAULT_CHUNK,
         out: BinaryIO, plaintext_size: int | None = None) -> EnvelopeHeader:
    """Seal a plaintext stream to the trade's opening key; returns the header, size and SHA-256.

    The header declares the body's length, so the plaintext's size must be known first: give
    `plaintext_size` (records.bid_size) to stream a large bid; without it, a seekable stream is
    measured and anything else is read into memory."""
    if plaintext_size is None:
        plaintext, plaintext_size = _sized(plaintext)
    bound = build_bound_header(trade_ref, bidder_id, version, fingerprint(public_key), chunk_size,
                               plaintext_size=plaintext_size)
    file_key = secrets.token_bytes(32)
    sealed = SUITE.encrypt(file_key, public_key, info=bound)
    return write_envelope(plaintext, bound_header=bound, file_key=file_key, sealed_key=sealed,
                          out=out)


@dataclass(frozen=True)
class OpenedEnvelope:
    """An opened envelope: its header, and the SHA-256 and size of the plaintext written out."""
    header: EnvelopeHeader
    plaintext_sha256: bytes
    plaintext_size: int


def open_envelope_digest(stream: BinaryIO, private_key: ec.EllipticCurvePrivateKey,
                         out: BinaryIO | None = None) -> OpenedEnvelope:
    """Decrypt chunk by chunk into `out` (optional) while hashing the plaintext.

    On any EnvelopeError what was written to `out` must be discarded: chunks are authenticated
    one by one, the whole only at the end. The caller compares header fields with the trade.
    """
    header, aead = _unseal(stream, private_key)
    h = header.header_hash
    step = header.chunk_size + TAG_LEN
    digest, size, index = hashlib.sha256(), 0, 0
    current = read_exact(stream, step)
    while True:
        following = read_exact(stream, step) if len(current) == step else b""
        last = not following
        if len(current) < TAG_LEN:
            raise EnvelopeError("truncated", f"the body ends before chunk {index} is complete")
        try:
            plain = aead.decrypt(_nonce(index, last), current, h)
        except InvalidTag:
            raise _diagnose(aead, index, last, current, h) from None
        digest.update(plain)
        size += len(plain)
        if out is not None:
            out.write(plain)
        if last:
            if header.chunks is not None and (index + 1, size + TAG_LEN * (index + 1)) != (
                    header.chunks, header.body_length):
                # unreachable unless a sealer declared wrongly: the header is authenticated
                raise EnvelopeError("truncated", f"the body has {index + 1} chunks, its header "
                                    f"declares {header.chunks}")
            return OpenedEnvelope(header, digest.digest(), size)
        current, index = following, index + 1


def _unseal(stream: BinaryIO, private_key: ec.EllipticCurvePrivateKey) -> tuple[EnvelopeHeader, AESGCM]:
    """The header, read from `stream`, and the body cipher its sealed file key opens."""
    header = parse_header(stream)
    if not hmac.compare_digest(header.fingerprint, fingerprint(private_key.public_key())):
        raise EnvelopeError("wrong_key", "this envelope was sealed to another opening key")
    try:
        file_key = SUITE.decrypt(header.sealed_key, private_key, info=header.bound_header)
    except (InvalidTag, ValueError):
        raise EnvelopeError("decrypt_failed", "the file key does not open: the header was "
                            "altered or the key was not sealed for it") from None
    return header, _body_cipher(file_key, header.header_hash)


def open_envelope_bytes(data, private_key: ec.EllipticCurvePrivateKey, into: bytearray | None = None,
                        digest=None) -> tuple[EnvelopeHeader, memoryview]:
    """open_envelope_digest for an envelope held in memory (bytes or a memoryview), without its
    plaintext hash, for a caller that hashes elsewhere: the chunks are decrypted into one buffer
    (`into` when it is large enough, so a caller can reuse it), nothing copied. The same chunking,
    checks and errors as the streaming reader; returns the header and a view of the plaintext.
    `digest` (a hashlib object), if given, is updated with each chunk while it is in the cache."""
    view = memoryview(data)
    stream = io.BytesIO(view[:MAX_HEADER])  # a copy of the header only
    header, aead = _unseal(stream, private_key)
    body, h, size = view[stream.tell():], header.header_hash, header.chunk_size
    step = size + TAG_LEN
    count = max(1, -(-len(body) // step))
    length = (count - 1) * size + max(0, len(body) - (count - 1) * step - TAG_LEN)
    if into is None or len(into) < length:
        into = bytearray(length)
    out = memoryview(into)[:length]
    for index in range(count):
        block, last = body[index * step:(index + 1) * step], index == count - 1
        if len(block) < TAG_LEN:
            raise EnvelopeError("truncated", f"the body ends before chunk {index} is complete")
        piece = out[index * size:index * size + len(block) - TAG_LEN]
        try:
            aead.decrypt_into(_nonce(index, last), block, h, piece)
        except InvalidTag:
            raise _diagnose(aead, index, last, bytes(block), h) from None
        if digest is not None:
            digest.update(piece)
    if header.chunks is not None and (count, len(body)) != (header.chunks, header.body_length):
        raise EnvelopeError("truncated", f"the body has {count} chunks, its header declares {header.chunks}")
    return header, out


def _diagnose(aead: AESGCM, index: int, last: bool, block: bytes, h: bytes) -> EnvelopeError:
    """Tell truncation (a middle chunk at the end) and extension (data after the last chunk)
    from plain damage, by trying the other flag once."""
    try:
        aead.decrypt(_nonce(index, not last), block, h)
    except InvalidTag:
        return EnvelopeError("decrypt_failed", f"chunk {index} fails authentication: the "
                             "envelope is damaged, reordered or not sealed with this key")
    if last:
        return EnvelopeError("truncated", f"chunk {index} is not the last one: the envelope "
                             "was cut short")
    return EnvelopeError("trailing_data", f"data follows the last chunk ({index})")


def open_envelope(stream: BinaryIO, private_key: ec.EllipticCurvePrivateKey,
                  out: BinaryIO) -> EnvelopeHeader:
    """Decrypt an envelope into `out`; see open_envelope_digest for the failure contract."""
    return open_envelope_digest(stream, private_key, out).header
