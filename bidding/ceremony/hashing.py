"""SHA-256s shared between the opening thread and one helper thread (no Flask, no database).

hashlib releases the GIL on large buffers, so the helper hashes on the second core while the
opening thread decrypts. The helper takes the queued hashes oldest first; when the opening thread
needs a hash that is not done, it hashes queued ones itself (that one first if it is still queued,
else the newest) instead of waiting: the two threads share the work whatever the machine's load.
"""
from __future__ import annotations

import hashlib
import threading
from collections import deque


class Hash:
    """One queued SHA-256: the bytes, then the hex digest (or the error hashing them raised)."""

    __slots__ = ("data", "hexdigest", "error")

    def __init__(self, data) -> None:
        self.data, self.hexdigest, self.error = data, None, None

    def run(self) -> None:
        try:
            self.hexdigest = hashlib.sha256(self.data).hexdigest()
        except Exception as exc:  # noqa: BLE001  handed to whoever asks for the result
            self.error = exc
        self.data = None


class SharedHasher:
    """Use as a context manager: the helper thread lives as long as the block."""

    def __init__(self) -> None:
        self._queue: deque[Hash] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="envelope-hash", daemon=True)

    def __enter__(self) -> SharedHasher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def submit(self, data) -> Hash:
        task = Hash(data)
        with self._cond:
            self._queue.append(task)
            self._cond.notify_all()
        return task

    def result(self, task: Hash) -> str:
        """The hex digest of `task`, hashing queued work here rather than waiting for the helper."""
        while True:
            with self._cond:
                if task.hexdigest is not None or task.error is not None:
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
        if task.error is not None:
            raise task.error
        return task.hexdigest

    def settle(self, task: Hash) -> None:
        """Make sure no thread is still reading `task`'s bytes (its buffer may then be reused)."""
        with self._cond:
            if task in self._queue:
                self._queue.remove(task)
                task.data = None
                return
            while task.data is not None:
                self._cond.wait()

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
