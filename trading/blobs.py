"""A content-addressed blob directory: files are stored once under their SHA-256, streamed, never whole in memory."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from flask import current_app

CHUNK = 1024 * 1024


class BlobRefused(ValueError):
    """The stream broke a size limit; nothing was stored. `reason` is "too_large" or "empty"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BlobStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("not a sha256 hex digest")
        return self.root / digest[:2] / digest[2:]

    def put(self, stream: BinaryIO, max_size: int | None = None, min_size: int = 0,
            check: Callable[[Path], None] | None = None) -> tuple[str, int]:
        """Stream into a temporary file, then move it under its digest; returns (sha256, size).

        A stream outside the size limits raises BlobRefused, and `check(temp_path)` may raise to
        refuse the content; either way nothing is left in the store."""
        self.root.mkdir(parents=True, exist_ok=True)
        h, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise BlobRefused("too_large")
                    h.update(chunk)
                    out.write(chunk)
                if size < min_size:
                    raise BlobRefused("empty")
                out.flush()
                os.fsync(out.fileno())
            if check is not None:
                check(Path(tmp))
            digest = h.hexdigest()
            final = self.path(digest)
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)
            return digest, size
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def open(self, digest: str) -> BinaryIO:
        return self.path(digest).open("rb")

    def exists(self, digest: str) -> bool:
        return self.path(digest).exists()


def blob_store() -> BlobStore:
    return BlobStore(current_app.config["BLOB_DIR"])
