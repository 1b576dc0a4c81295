"""What the platform checks of an envelope on upload, without the opening key (the spec's
"Checks the platform makes on receipt"): fed as the bytes arrive, so storing and checking are one pass."""
from __future__ import annotations

import base64
import hashlib
import hmac
import io
from dataclasses import replace
from typing import BinaryIO

from .envelope import FORMAT_VERSION, MAX_HEADER, TAG_LEN, EnvelopeError, EnvelopeHeader, parse_header

_IO_BLOCK = 1024 * 1024


class ReceiptCheck:
    """The receipt checks of the spec, fed the envelope as it arrives: one pass, no key.

    `feed(data)` refuses as soon as the bytes seen show a fault (a bad or foreign header, more
    bytes than declared or allowed); `finish()` checks the end (the body exactly as long as the
    header declares) and returns the header. `resend_version` is a version also accepted in the
    header (the caller then decides whether the upload repeats a stored bid). Only format
    version 2 is accepted: version 1 declares no body length, so a cut body would pass.
    """

    def __init__(self, expected_trade_ref: str, expected_bidder_id: str, expected_version: int,
                 expected_fingerprint: bytes | str, max_size: int, *,
                 resend_version: int | None = None) -> None:
        self.trade_ref, self.bidder_id = expected_trade_ref, expected_bidder_id
        self.version, self.resend_version = expected_version, resend_version
        self.fingerprint = (bytes.fromhex(expected_fingerprint) if isinstance(expected_fingerprint, str)
                            else bytes(expected_fingerprint))
        self.max_size = max_size
        self.size = 0
        self.header: EnvelopeHeader | None = None
        self._head = bytearray()
        self._end: int | None = None  # the envelope's declared total length, once the header is read

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_size:
            raise EnvelopeError("too_large", f"the envelope is larger than {self.max_size} bytes")
        if self.header is None:
            if self._head:  # the header began in an earlier piece: only what it can still need is kept
                self._head += memoryview(data)[:MAX_HEADER - len(self._head)]
                self._try_header(bytes(self._head), final=False)
            else:  # read in place: a piece is often the whole envelope, copied for nothing
                self._try_header(data, final=False)
        if self._end is not None and self.size > self._end:
            raise EnvelopeError("trailing_data", f"the envelope goes on after the {self._end} bytes "
                                "its header declares")

    def finish(self) -> EnvelopeHeader:
        if self.header is None:
            self._try_header(bytes(self._head), final=True)
        header = self.header
        assert header is not None and self._end is not None
        if self.size < self._end:
            raise EnvelopeError("truncated", f"the envelope is {self.size} bytes, its header declares "
                                f"{self._end}: the upload was cut short")
        return header

    def _try_header(self, head: bytes, final: bool) -> None:
        try:
            header = parse_header(io.BytesIO(head))  # over `head` itself (BytesIO of bytes copies nothing)
        except EnvelopeError as exc:
            if exc.code == "truncated" and not final and len(head) < MAX_HEADER:
                if not self._head:
                    self._head = bytearray(head)  # the header is still arriving: the start is kept
                return
            raise
        self._bind(header)
        self.header, self._head = header, bytearray()
        self._end = len(header.header_bytes) + (header.body_length or 0)

    def _bind(self, header: EnvelopeHeader) -> None:
        if header.format_version != FORMAT_VERSION:
            raise EnvelopeError("unsupported_version", f"envelope format version {header.format_version} "
                                f"is no longer accepted: seal the bid again (version {FORMAT_VERSION} "
                                "declares the body length)")
        if header.trade_ref != self.trade_ref:
            raise EnvelopeError("wrong_trade", f"sealed for trade {header.trade_ref!r}, "
                                f"not {self.trade_ref!r}")
        if header.bidder_id != self.bidder_id:
            raise EnvelopeError("wrong_bidder", f"sealed for bidder {header.bidder_id!r}, "
                                f"not {self.bidder_id!r}")
        if header.version not in (self.version, self.resend_version):
            raise EnvelopeError("wrong_version", f"bid version {header.version}, the platform expects "
                                f"{self.version}")
        if not hmac.compare_digest(header.fingerprint, self.fingerprint):
            raise EnvelopeError("wrong_key", "sealed to another opening key than this trade's "
                                f"(fingerprint {header.fingerprint.hex()})")


def body_length_ok(body_len: int, chunk_size: int) -> bool:
    """Whole chunks of C+16, then a last chunk of 16..C+16 bytes (rem 0 means a full last one).
    The only check a version 1 envelope allows without the key."""
    rem = body_len % (chunk_size + TAG_LEN)
    return body_len >= TAG_LEN and (rem == 0 or rem >= TAG_LEN)


def check_envelope(stream: BinaryIO, expected_trade_ref: str, expected_bidder_id: str,
                   expected_version: int, expected_fingerprint: bytes | str, max_size: int,
                   *, copy_to: BinaryIO | None = None) -> EnvelopeHeader:
    """Every receipt check of the spec, without the opening key: reads the whole stream once.

    Returns the header with `size` and `sha256` of the envelope (what the receipt signs);
    `copy_to` receives every byte read, so the upload can be stored in the same pass.
    """
    check = ReceiptCheck(expected_trade_ref, expected_bidder_id, expected_version,
                         expected_fingerprint, max_size)
    digest = hashlib.sha256()
    while block := stream.read(_IO_BLOCK):
        check.feed(block)
        digest.update(block)
        if copy_to is not None:
            copy_to.write(block)
    return replace(check.finish(), size=check.size, sha256=digest.digest())


def content_digest(data: bytes | None = None, *, sha256: bytes | None = None) -> str:
    """The RFC 9530 `Content-Digest` field value a sealer sends with an envelope:
    `sha-256=:<base64 of the SHA-256>:` (give the bytes, or their SHA-256)."""
    raw = sha256 if sha256 is not None else hashlib.sha256(data or b"").digest()
    return f"sha-256=:{base64.b64encode(raw).decode()}:"
