"""Work shared between the opening thread and its helper threads (no Flask, no database): the
SHA-256 of each stored envelope, and the custody of each opened bid's files (encrypt, hash, write).

hashlib and AES-GCM's `encrypt_into`/`decrypt_into` release the GIL on large buffers, and writes and
fsyncs release it while the kernel works, so the helpers run on the other cores while the opening
thread decrypts. The helpers take queued tasks oldest first; when the opening thread needs a result
that is not ready, it runs queued tasks itself (that one first if it is still queued, else the
newest) instead of waiting: the threads share the work whatever the machine's load.
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Any


def helper_count() -> int:
    """As many helpers as cores, at least two, at most four: besides hashing and encrypting they wait
    on the disk (creating, writing, moving kept files), and a helper that waits leaves its core to
    another (measured on two cores: two helpers opened 300 bids in 3.3 s where one took 3.8 to 4.7 s)."""
    return max(2, min(4, os.cpu_count() or 2))


class Task:
    """One queued piece of work: its result once run (or the error it raised)."""

    __slots__ = ("value", "error", "done")

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = False

    def _work(self) -> Any:
        raise NotImplementedError

    def run(self) -> None:
        try:
            self.value = self._work()
        except Exception as exc:  # noqa: BLE001  handed to whoever asks for the result
            self.error = exc
        self.done = True


class Hash(Task):
    """One SHA-256: the bytes, then the hex digest. `data` is dropped once hashed (its buffer is free)."""

    __slots__ = ("data",)

    def __init__(self, data) -> None:
        super().__init__()
        self.data = data

    @property
    def hexdigest(self) -> str | None:
        return self.value

    def _work(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def run(self) -> None:
        super().run()
        self.data = None


class Call(Task):
    """A function call run by whichever thread gets to it first."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable[..., Any], args: tuple) -> None:
        super().__init__()
        self.fn, self.args = fn, args

    def _work(self) -> Any:
        return self.fn(*self.args)

    def run(self) -> None:
        super().run()
        self.fn, self.args = None, ()


class SharedHasher:
    """Use as a context manager: the helper threads live as long as the block."""

    def __init__(self, helpers: int = 1) -> None:
        self._queue: deque[Task] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"opening-helper-{i}", daemon=True)
                         for i in range(max(1, helpers))]

    def __enter__(self) -> SharedHasher:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()

    def _put(self, task: Task) -> Task:
        with self._cond:
            self._queue.append(task)
            self._cond.notify_all()
        return task

    def submit(self, data) -> Hash:
        """Queue the SHA-256 of `data` (a buffer the caller keeps unchanged until `settle`)."""
        return self._put(Hash(data))

    def call(self, fn: Callable[..., Any], *args) -> Call:
        """Queue `fn(*args)`; `result` gives what it returned (or raises what it raised)."""
        return self._put(Call(fn, args))

    def result(self, task: Task) -> Any:
        """The result of `task`, running queued work here rather than waiting for the helpers."""
        while True:
            with self._cond:
                if task.done:
                    break
                if task in self._queue:
                    self._queue.remove(task)
                    mine = task
                elif self._queue:
                    mine = self._queue.pop()
                else:
                    self._cond.wait()
                    continue
            mine.run()
            with self._cond:
                self._cond.notify_all()
        if task.error is not None:
            raise task.error
        return task.value

    def settle(self, task: Task) -> None:
        """Make sure no thread is still using `task`'s buffers (they may then be reused): a task still
        queued is dropped unrun, one running is waited for."""
        with self._cond:
            if task in self._queue:
                self._queue.remove(task)
                task.error, task.done = RuntimeError("settled before it ran"), True
                if isinstance(task, Hash):
                    task.data = None
                return
            while not task.done:
                self._cond.wait()

    def cancel(self) -> None:
        """Drop every queued task and wait for the running ones (an opening that is being abandoned)."""
        with self._cond:
            while self._queue:
                task = self._queue.popleft()
                task.error, task.done = RuntimeError("cancelled"), True
            self._cond.notify_all()
        # a running task is not in the queue: __exit__ joins the helpers after it

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                task = self._queue.popleft()
            task.run()
            with self._cond:
                self._cond.notify_all()
