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


def test_calls_run_once_whoever_runs_them_and_cancel_drops_the_queued_ones():
    import threading

    ran, gate, started = [], threading.Event(), threading.Semaphore(0)

    def block():
        started.release()
        return gate.wait()

    with SharedHasher(helpers=2) as pool:
        blockers = [pool.call(block) for _ in range(2)]  # both helpers busy
        for _ in blockers:
            assert started.acquire(timeout=10)
        calls = [pool.call(lambda i=i: ran.append(i) or i * i) for i in range(6)]
        assert pool.result(calls[4]) == 16  # taken from the queue and run here
        assert ran == [4]
        pool.cancel()  # the rest never run
        gate.set()
        assert [pool.result(b) for b in blockers] == [True, True]
        for c in calls[:4] + calls[5:]:
            try:
                pool.result(c)
            except RuntimeError:
                pass
            else:
                raise AssertionError("a cancelled call ran")
    assert ran == [4]
