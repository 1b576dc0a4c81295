"""The edges of receiving an upload: its RFC 9530 Content-Digest, reading out a refused body, and
removing an envelope no bid kept."""
from __future__ import annotations

import base64
import binascii
import re
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import ClientDisconnected

from bidding.crypto.envelope import EnvelopeError
from bidding.submission.models import Bid
from trading.blobs import blob_store
from trading.errors import InvalidInput
from trading.extensions import db

_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_DRAIN_BLOCK = 1024 * 1024

DIGEST_MESSAGES = {
    "missing": _l("the upload has no Content-Digest header with the envelope's sha-256 digest (RFC 9530): "
                  "upload with the bid page or python -m bidding.seal --submit, which send it"),
    "malformed": _l("the Content-Digest header must read sha-256=:BASE64 OF THE 32-BYTE DIGEST: (RFC 9530)"),
}


class DigestMismatch(EnvelopeError):
    """The bytes received are not the envelope the sealer declared: damaged in transit."""

    def __init__(self) -> None:
        super().__init__("digest_mismatch", "the envelope's SHA-256 differs from its Content-Digest header")


def parse_content_digest(value: str | None) -> bytes:
    """The 32-byte sha-256 member of a Content-Digest field value (an RFC 8941 dictionary such as
    `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`; other algorithms are ignored)."""
    if not value or not value.strip():
        raise InvalidInput({"envelope": [str(DIGEST_MESSAGES["missing"])]})
    found = None
    for member in value.split(","):
        name, sep, item = member.strip().partition("=")
        if not _KEY.fullmatch(name) or not sep:
            raise InvalidInput({"envelope": [str(DIGEST_MESSAGES["malformed"])]})
        item = item.split(";", 1)[0].strip()  # parameters are allowed and carry nothing for us
        if name != "sha-256":
            continue
        try:
            if len(item) < 2 or item[0] != ":" or item[-1] != ":":
                raise ValueError
            raw = base64.b64decode(item[1:-1], validate=True)
        except (ValueError, binascii.Error):
            raise InvalidInput({"envelope": [str(DIGEST_MESSAGES["malformed"])]}) from None
        if len(raw) != 32:
            raise InvalidInput({"envelope": [str(DIGEST_MESSAGES["malformed"])]})
        found = raw  # RFC 8941: a repeated key's last value wins
    if found is None:
        raise InvalidInput({"envelope": [str(DIGEST_MESSAGES["missing"])]})
    return found


def body(request) -> BinaryIO:
    """The upload's body to read. Under a server that ends the input stream at the body's end itself
    (`wsgi.input_terminated`, as gunicorn does), a body of declared length within MAX_CONTENT_LENGTH
    is read straight from the server's stream: werkzeug's wrapper would add only a zeroed 1 MiB
    buffer and two copies of every piece. Otherwise (werkzeug's own server, a chunked body, a
    declared length over the limit, which werkzeug answers with 413) `request.stream`, with its limits."""
    environ = request.environ
    length = request.content_length  # None for a chunked body
    if not environ.get("wsgi.input_terminated") or length is None:
        return request.stream
    limit = request.max_content_length
    if limit is not None and length > limit:
        return request.stream  # werkzeug answers 413, as for any other route
    return _ServerBody(environ["wsgi.input"])


class _ServerBody:
    """The server's own body stream, read as it comes; a connection that breaks while it is read is
    werkzeug's ClientDisconnected (400), as it is through `request.stream`."""

    __slots__ = ("_stream",)

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except (OSError, ValueError) as exc:
            raise ClientDisconnected() from exc


def drain(stream: BinaryIO, limit: int) -> None:
    """Read out what is left of a refused upload (up to the size limit), so that the client, still
    sending, is not cut off and reads the reason instead of a reset connection."""
    left = limit
    while left > 0 and (piece := stream.read(min(_DRAIN_BLOCK, left))):
        left -= len(piece)


def discard_unless_referenced(digest: str) -> None:
    """Remove a just-stored envelope that no bid will keep (a lost race, a trade closed meanwhile).
    Blobs are content-addressed: another bid may hold the same bytes, then it stays."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Bid).where(Bid.sha256 == digest)) == 0:
        blob_store().discard(digest)
