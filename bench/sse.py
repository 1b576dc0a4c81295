"""The benches' SSE watchers: N connections to one live stream served by one selector thread of the bench's
process (non-blocking sockets speaking HTTP/1.0), every complete frame timed on arrival. bench/live.py
(the platform stream) and bench/auction.py (a trade's stream, the price board's) both use it.
"""
from __future__ import annotations

import gc
import json
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

HOST = "127.0.0.1"


def entry_time(iso: str) -> float:
    """An audit entry's `at` (ISO 8601) as a Unix time."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@dataclass
class Watcher:
    sock: socket.socket
    buf: bytes = b""
    headers_done: bool = False
    first_frame: bool = False
    closed: bool = False
    status: int = 0
    #: (index, data, arrival) of every kept frame, in arrival order (the JSON is read after the run, not in
    #: the selector loop, so the measuring thread does as little as possible per frame)
    frames: list[tuple[int, bytes, float]] = field(default_factory=list)

    @property
    def received(self) -> list[tuple[int, float, float]]:
        """(index, the entry's time, arrival) of every kept frame."""
        return [(i, entry_time(json.loads(data)["at"]), at) for i, data, at in self.frames]


class Watchers:
    """N SSE connections to `path` served by one selector thread; frames whose data `keep` accepts are kept
    with their entry's time (`data.at`) and their arrival time."""

    def __init__(self, port: int, path: str, n: int, *, token: str | None = None,
                 keep: Callable[[bytes], bool] | None = None, name: str = "sse-watchers") -> None:
        self.selector = selectors.DefaultSelector()
        self.watchers: list[Watcher] = []
        self.keep = keep
        self.stop = threading.Event()
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        request = (f"GET {path} HTTP/1.0\r\nHost: {HOST}:{port}\r\nAccept: text/event-stream\r\n"
                   f"{auth}\r\n").encode()
        for _ in range(n):
            sock = socket.create_connection((HOST, port), timeout=30)
            sock.sendall(request)
            sock.setblocking(False)
            w = Watcher(sock)
            self.watchers.append(w)
            self.selector.register(sock, selectors.EVENT_READ, w)
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        gc.disable()  # the measuring client must not pause to collect garbage in the middle of a fan-out
        try:
            while not self.stop.is_set():
                for key, _mask in self.selector.select(timeout=0.1):
                    w: Watcher = key.data
                    try:
                        data = w.sock.recv(262144)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        data = b""
                    at = time.time()
                    if not data:
                        w.closed = True
                        self.selector.unregister(w.sock)
                        continue
                    w.buf += data
                    self._parse(w, at)
        finally:
            gc.enable()

    def _parse(self, w: Watcher, at: float) -> None:
        if not w.headers_done:
            if b"\r\n\r\n" not in w.buf:
                return
            head, w.buf = w.buf.split(b"\r\n\r\n", 1)
            w.status = int(head.split(b" ", 2)[1])
            w.headers_done = True
        while b"\n\n" in w.buf:
            block, w.buf = w.buf.split(b"\n\n", 1)
            w.first_frame = True
            index = data = None
            for line in block.split(b"\n"):
                if line.startswith(b"id: "):
                    index = int(line[4:])
                elif line.startswith(b"data: "):
                    data = line[6:]
            if index is not None and data is not None and (self.keep is None or self.keep(data)):
                w.frames.append((index, data, at))

    def ready(self) -> int:
        return sum(1 for w in self.watchers if w.first_frame and w.status == 200)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for w in self.watchers:
            try:
                w.sock.close()
            except OSError:
                pass
        self.selector.close()
