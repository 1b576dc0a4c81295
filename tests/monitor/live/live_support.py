"""Helpers for the live-stream tests: a real HTTP server on loopback and a raw SSE client."""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass

from werkzeug.serving import make_server

#: settings that make the tests quick: frequent heartbeats (a departed client is noticed fast)
FAST = {"LIVE_HEARTBEAT_SECONDS": 0.3, "LIVE_POLL_SECONDS": 0.2, "LIVE_IDLE_SECONDS": 1.0}


class Server:
    """The app under werkzeug's threaded server on 127.0.0.1, port chosen by the system."""

    def __init__(self, app) -> None:
        self.app = app
        self.httpd = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        from monitor.live.hub import hub_for

        hub_for(self.app).stop()
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Event:
    index: int
    data: dict


class SSE:
    """One stream over a raw socket (HTTP/1.1, chunked body decoded here), read with deadlines.

    http.client is not used: after one read timeout its socket file refuses every later read,
    and these tests wait for "nothing more arrives" all the time.
    """

    def __init__(self, port: int, path: str, headers: dict | None = None, timeout: float = 10.0) -> None:
        self.path = path
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.raw = b""  # bytes received, not yet de-chunked
        self.body = b""  # body bytes not yet parsed into events
        self.eof = False
        self.comments: list[str] = []
        self.retry: int | None = None
        self.closed_by_server = False
        self._ident: str | None = None
        self._data: list[str] = []
        end = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.raw:
            self._recv(end)
            if self.eof:
                raise AssertionError(f"no HTTP answer on {path}")
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
        self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        self.eof = False
        self._decode()

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def _recv(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            raise TimeoutError from None
        except OSError:
            data = b""
        if not data:
            self.eof = True
        self.raw += data

    def _decode(self) -> None:
        if not self.chunked:
            self.body += self.raw
            self.raw = b""
            return
        while True:
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.raw[:line_end].split(b";")[0], 16)
            if size == 0:
                self.eof = True
                self.raw = b""
                return
            if len(self.raw) < line_end + 2 + size + 2:
                return
            self.body += self.raw[line_end + 2:line_end + 2 + size]
            self.raw = self.raw[line_end + 2 + size + 2:]

    def _line(self, deadline: float) -> str | None:
        while b"\n" not in self.body:
            if self.eof:
                return None
            self._recv(deadline)
            self._decode()
        line, self.body = self.body.split(b"\n", 1)
        return line.decode("utf-8").rstrip("\r")

    def read_event(self, timeout: float = 10.0) -> Event | None:
        """The next event; None when the server ended the stream. Raises TimeoutError when none comes."""
        deadline = time.monotonic() + timeout
        while True:  # a half-read event survives a timeout (self._ident, self._data)
            try:
                line = self._line(deadline)
            except TimeoutError:
                raise TimeoutError(f"no event within {timeout} s on {self.path}") from None
            if line is None:
                self.closed_by_server = True
                return None
            if line == "":
                if self._data:
                    event = Event(int(self._ident), json.loads("\n".join(self._data)))
                    self._ident, self._data = None, []
                    return event
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line.startswith("id:"):
                self._ident = line[3:].strip()
            elif line.startswith("data:"):
                self._data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif line.startswith("retry:"):
                self.retry = int(line[6:].strip())

    def read(self, count: int, timeout: float = 10.0) -> list[Event]:
        out = []
        end = time.monotonic() + timeout
        while len(out) < count:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(out)} of {count} events within {timeout} s: {[e.index for e in out]}")
            ev = self.read_event(left)
            if ev is None:
                raise AssertionError(f"the server ended the stream after {[e.index for e in out]}")
            out.append(ev)
        return out

    def read_until(self, index: int, timeout: float = 10.0) -> list[Event]:
        """Events up to and including the one with `index` (which must come)."""
        out: list[Event] = []
        end = time.monotonic() + timeout
        while not out or out[-1].index < index:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"index {index} not reached in {timeout} s: {[e.index for e in out]}")
            ev = self.read_event(left)
            if ev is None:
                raise AssertionError(f"the server ended the stream after {[e.index for e in out]}")
            out.append(ev)
        return out

    def quiet(self, seconds: float) -> list[Event]:
        """Whatever arrives within `seconds` (an empty list when nothing does)."""
        out = []
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return out
            try:
                ev = self.read_event(left)
            except TimeoutError:
                return out
            if ev is None:
                return out
            out.append(ev)

    def close(self) -> None:
        """Leave as a browser does: the connection just goes away."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def wait_for(predicate, timeout: float = 5.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.02)
