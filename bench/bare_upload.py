"""A bare streaming-upload WSGI app: the baseline `bench/submission.py` compares the platform with.

It does what any upload endpoint must do and nothing more: read the request body in 1 MiB chunks
into a temporary file, hash it with SHA-256, fsync it (the platform's blob store fsyncs too, so the
comparison measures the platform's own work, not durability) and answer 201 with a small JSON body.
No framework, no database, no authentication, no envelope check, no signature.

    gunicorn -w 2 -k gthread --threads 8 -b 127.0.0.1:PORT bench.bare_upload:app

BARE_UPLOAD_DIR sets where the temporary files go (default: the system temp dir); BARE_FSYNC=0
skips the fsync. Files are deleted as soon as they are written.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile

CHUNK = 1024 * 1024
UPLOAD_DIR = os.environ.get("BARE_UPLOAD_DIR") or None
FSYNC = os.environ.get("BARE_FSYNC", "1") != "0"


def _answer(start_response, status: str, payload: dict) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    if environ.get("REQUEST_METHOD") != "POST":
        return _answer(start_response, "200 OK", {"ok": True})
    stream = environ["wsgi.input"]
    # no more than CONTENT_LENGTH (PEP 3333): werkzeug's server hands over the socket itself, whose
    # reads past the body would wait for the client's next request
    fd, path = tempfile.mkstemp(dir=UPLOAD_DIR, prefix=".bare-")
    try:
        with os.fdopen(fd, "wb") as out:
            digest, size = copy_body(stream, int(environ.get("CONTENT_LENGTH") or 0), out, FSYNC)
    finally:
        os.unlink(path)
    return _answer(start_response, "201 Created", {"sha256": digest, "size": size})


def copy_body(stream, left: int, out, fsync: bool = True) -> tuple[str, int]:
    """What any upload endpoint does with a body: `left` bytes read in 1 MiB chunks into `out`, hashed, fsynced.
    (SHA-256 hex, size). bench/floor_upload.py does the same under Flask."""
    digest, size = hashlib.sha256(), 0
    while left > 0 and (chunk := stream.read(min(CHUNK, left))):
        left -= len(chunk)
        size += len(chunk)
        digest.update(chunk)
        out.write(chunk)
    if fsync:
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size
