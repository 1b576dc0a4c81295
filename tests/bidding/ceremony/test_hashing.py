"""The SHA-256s shared between the opening thread and its helper: right digests, whoever computes them."""
from __future__ import annotations

import hashlib
import os

from bidding.ceremony.hashing import SharedHasher


def test_every_digest_is_right_in_any_order_and_settled_buffers_are_free():
    blobs = [os.urandom(n) for n in (0, 1, 4096, 1 << 20, 3 << 20)] * 8
    with SharedHasher() as hasher:
        tasks = [hasher.submit(b) for b in blobs]
        for i in reversed(range(0, len(tasks), 2)):  # the newest first: the caller takes queued ones itself
            assert hasher.result(tasks[i]) == hashlib.sha256(blobs[i]).hexdigest()
        for task in tasks:
            hasher.settle(task)
            assert task.data is None
        assert [t.hexdigest for t in tasks[::2]] == [hashlib.sha256(b).hexdigest() for b in blobs[::2]]


def test_an_error_reaches_the_caller():
    with SharedHasher() as hasher:
        task = hasher.submit(object())  # not bytes
        try:
            hasher.result(task)
        except TypeError:
            pass
        else:
            raise AssertionError("no error")
