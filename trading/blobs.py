"""A content-addressed blob directory: files are stored once under their SHA-256, streamed, never whole in memory."""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Callable

from flask import Flask, current_app

CHUNK = 1024 * 1024
INCOMING = ".incoming-"


class BlobRefused(ValueError):
    """The stream broke a size limit; nothing was stored. `reason` is "too_large" or "empty"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


#: folders known to exist (a store's root and its 256 subfolders): an upload makes no mkdir calls
_MADE: set[str] = set()


class BlobStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _folder(self, path: Path) -> None:
        key = str(path)
        if key not in _MADE:
            path.mkdir(parents=True, exist_ok=True)
            _MADE.add(key)

    def path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("not a sha256 hex digest")
        return self.root / digest[:2] / digest[2:]

    def put(self, stream: BinaryIO, max_size: int | None = None, min_size: int = 0,
            check: Callable[[str, int], None] | None = None,
            observe: Callable[[bytes], None] | None = None) -> tuple[str, int]:
        """Stream into a temporary file, then move it under its digest; returns (sha256, size).

        One pass: `observe(piece)` sees each piece as it arrives (and may raise to refuse at
        once); `check(sha256_hex, size)` runs after the last byte, before the blob enters the
        store, and may raise to refuse it. A stream outside the size limits raises BlobRefused.
        Whatever is raised, nothing is left in the store."""
        self._folder(self.root)
        h, size = hashlib.sha256(), 0
        try:
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=INCOMING)
        except FileNotFoundError:  # the root was removed meanwhile: make it again
            _MADE.discard(str(self.root))
            self._folder(self.root)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=INCOMING)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise BlobRefused("too_large")
                    if observe is not None:
                        observe(chunk)
                    h.update(chunk)
                    out.write(chunk)
                if size < min_size:
                    raise BlobRefused("empty")
                out.flush()
                os.fsync(out.fileno())
            digest = h.hexdigest()
            if check is not None:
                check(digest, size)
            final = self.path(digest)
            self._folder(final.parent)
            try:
                os.replace(tmp, final)
            except FileNotFoundError:  # the folder was removed meanwhile (a test's cleanup): make it again
                _MADE.discard(str(final.parent))
                self._folder(final.parent)
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

    def discard(self, digest: str) -> bool:
        """Remove one blob (the caller has checked nothing refers to it); False if it was not there."""
        try:
            self.path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def sweep(self, referenced: set[str] | None, older_than: datetime) -> SweepResult:
        """Remove what a killed worker left: `.incoming-*` files, and complete blobs no row refers
        to, last written before `older_than`. `referenced=None` (nobody said what is in use)
        spares every complete blob. An upload in progress keeps writing, so its file stays fresh."""
        done = SweepResult()
        if not self.root.is_dir():
            return done
        limit = older_than.timestamp()

        def stale(path: Path) -> bool:
            try:
                return path.stat().st_mtime < limit
            except FileNotFoundError:
                return False

        for path in self.root.glob(INCOMING + "*"):
            if path.is_file() and stale(path):
                path.unlink(missing_ok=True)
                done.incoming.append(path.name)
        if referenced is None:
            return done
        for sub in self.root.iterdir():
            if not sub.is_dir() or len(sub.name) != 2:
                continue
            for path in sub.iterdir():
                digest = sub.name + path.name
                if digest in referenced or not path.is_file() or not stale(path):
                    continue
                path.unlink(missing_ok=True)  # stale() was checked last: a re-upload renews the file
                done.orphans.append(digest)
        return done


@dataclass
class SweepResult:
    incoming: list[str] = field(default_factory=list)  # names of removed temporary files
    orphans: list[str] = field(default_factory=list)  # digests of removed blobs


#: one store per folder (a BlobStore holds only its root; building its Path per upload is not free)
_STORES: dict[str, BlobStore] = {}


def blob_store() -> BlobStore:
    root = current_app.config["BLOB_DIR"]
    store = _STORES.get(root)
    if store is None:
        store = _STORES[root] = BlobStore(root)
    return store


def register_references(app: Flask, source: Callable[[], Iterable[str]]) -> None:
    """A package that keeps blobs names them (digests its rows refer to), so the sweep spares them.
    The app factory registers every such package; the sweep removes no blob while none is."""
    app.extensions.setdefault("blob_references", []).append(source)


def sweep_orphans(grace: timedelta | None = None) -> SweepResult:
    """Remove leftovers older than the grace period (BLOB_SWEEP_GRACE_SECONDS) from the store."""
    from trading.clock import now

    if grace is None:
        grace = timedelta(seconds=float(current_app.config["BLOB_SWEEP_GRACE_SECONDS"]))
    sources = current_app.extensions.get("blob_references") or []
    referenced = set().union(*(set(source()) for source in sources)) if sources else None
    return blob_store().sweep(referenced, now() - grace)


def sweep_tick() -> SweepResult | None:
    """The scheduler's share of the sweep: at most once per BLOB_SWEEP_EVERY_SECONDS."""
    from trading.clock import now

    at = now()
    last = current_app.extensions.get("blob_sweep_last")
    every = timedelta(seconds=float(current_app.config["BLOB_SWEEP_EVERY_SECONDS"]))
    if last is not None and at - last < every:
        return None
    current_app.extensions["blob_sweep_last"] = at
    return sweep_orphans()
