"""Writing live events straight to the streams' sockets, from one thread per hub.

A stream is a WSGI request, so it holds a server thread. If that thread also wrote each event, every
event would wake one thread per stream: with 1,000 streams, 1,000 threads take the interpreter lock
two or three times each, and on a busy machine each hand-over waits for the operating system to
schedule the next thread, so the last client got the event 0.3 to 0.6 s late. Here the stream's
thread sends the `retry:` line and the backlog through the server as usual, then hands its socket to
the hub's writer (an `Outlet`) and sleeps until the stream ends: the writer puts each event's bytes
(made once per audience) on every socket with one non-blocking `send`, holding the interpreter lock
throughout, and nobody else wakes.

The writer frames the bytes as the server would (HTTP/1.1 chunks, or raw for HTTP/1.0), so it only
takes sockets whose framing it knows: plain (not TLS) sockets of gunicorn's and werkzeug's HTTP/1.x
servers. Anything else keeps the thread-per-stream path (monitor/live/streams.py).

A client that reads slowly gets what does not fit in its socket buffer when the socket is writable
again (epoll); one that falls LIVE_QUEUE_MAX reads behind is cut, as a queue would be. Heartbeats
and noticing a departed client (at once: epoll reports the hang-up) are the writer's job too. When the stream ends (lifetime, cut,
client gone, hub stopped) its thread takes the socket back with whatever was not sent yet, sends
that itself, and lets the server end the response.
"""
from __future__ import annotations

import logging
import select
import socket
import threading
import time

log = logging.getLogger(__name__)

HEARTBEAT = b": heartbeat\n\n"
#: what epoll reports when a client hangs up or its connection breaks
_HANGUP = getattr(select, "EPOLLRDHUP", 0x2000) | getattr(select, "EPOLLHUP", 0x10) | getattr(select, "EPOLLERR", 0x8)


def framing(environ: dict, sock) -> bool | None:
    """Whether the server chunks this response body (True), sends it raw (False), or None: unknown
    server, TLS or HTTP/2, a socket with a timeout; the stream then keeps its own thread."""
    if not hasattr(select, "epoll") or type(sock) is not socket.socket or sock.gettimeout() is not None:
        return None
    software = str(environ.get("SERVER_SOFTWARE", ""))
    protocol = environ.get("SERVER_PROTOCOL")
    if environ.get("gunicorn.socket") is sock and software.startswith("gunicorn"):
        # gunicorn chunks a body without Content-Length for HTTP/1.1 requests
        return {"HTTP/1.1": True, "HTTP/1.0": False}.get(protocol)
    if environ.get("werkzeug.socket") is sock and software.startswith("Werkzeug"):
        from werkzeug.serving import WSGIRequestHandler

        # werkzeug chunks by its handler's protocol (HTTP/1.1 when threaded), whatever the request's
        return str(WSGIRequestHandler.protocol_version) >= "HTTP/1.1"
    return None


class Outlet:
    """One stream's socket while the writer owns it."""

    __slots__ = ("sock", "fd", "chunked", "limit", "lock", "buf", "last", "lag", "done", "detached",
                 "watched", "wrote_at", "cut")

    def __init__(self, sock: socket.socket, chunked: bool, last: int, limit: int) -> None:
        self.sock, self.fd, self.chunked, self.limit = sock, sock.fileno(), chunked, limit
        self.lock = threading.Lock()
        self.buf = bytearray()  # framed bytes not sent yet
        self.last = last  # the index of the last event queued for this socket
        self.lag = 0  # reads queued while earlier ones were still unsent
        self.done = threading.Event()  # the stream should end: its thread wakes
        self.detached = False
        self.watched = False  # registered for "writable" (something is left to send)
        self.wrote_at = time.monotonic()
        self.cut = False

    def frame(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data

    def queue(self, data: bytes) -> bool:
        """Add bytes to send (call with `lock` held); False when the stream is cut or ending."""
        if self.detached or self.done.is_set():
            return False
        if self.buf:
            self.lag += 1
            if self.lag >= self.limit:  # too far behind: it ends after what it holds, and resumes from the db
                self.cut = True
                self.done.set()
                return False
        self.buf += self.frame(data)
        return True


class Writer:
    """The thread that writes for every outlet of one hub."""

    def __init__(self, heartbeat: float) -> None:
        self.heartbeat = heartbeat
        self.lock = threading.Lock()
        self.outlets: dict[int, Outlet] = {}  # by socket fd
        self.dirty: set[Outlet] = set()
        self.epoll = select.epoll()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.epoll.register(self._wake_r.fileno(), select.EPOLLIN)
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="live-writer", daemon=True)
        self.thread.start()

    # -- called by the hub and the streams' threads --

    def attach(self, outlet: Outlet) -> None:
        with outlet.lock:  # the client hanging up is heard at once, not at the next heartbeat
            try:
                self.epoll.register(outlet.fd, _HANGUP)
            except (OSError, ValueError):  # the writer stopped meanwhile (the hub stops): the stream ends
                outlet.done.set()
                return
        with self.lock:
            self.outlets[outlet.fd] = outlet
            if outlet.buf:
                self.dirty.add(outlet)
        self.wake()

    def touched(self, outlets) -> None:
        """These outlets got bytes to send (after a fan-out)."""
        with self.lock:
            self.dirty.update(outlets)
        self.wake()

    def detach(self, outlet: Outlet) -> bytes:
        """Take the socket back; returns the framed bytes the writer had not sent yet."""
        with outlet.lock:
            outlet.detached = True
            rest = bytes(outlet.buf)
            outlet.buf.clear()
            outlet.watched = False
            try:
                self.epoll.unregister(outlet.fd)
            except (OSError, ValueError):  # never registered (the writer stopped first)
                pass
        with self.lock:
            if self.outlets.get(outlet.fd) is outlet:
                del self.outlets[outlet.fd]
            self.dirty.discard(outlet)
        return rest

    def wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):  # a wake-up is already pending, or the writer stopped
            pass

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            outlets = list(self.outlets.values())
        for outlet in outlets:
            outlet.done.set()
        self.wake()
        if self.thread is not threading.current_thread():
            self.thread.join(timeout=5)

    # -- the thread --

    def _run(self) -> None:
        next_beat = time.monotonic() + min(self.heartbeat, 1.0)
        try:
            while True:
                timeout = max(0.0, next_beat - time.monotonic())
                try:
                    ready = self.epoll.poll(timeout)
                except InterruptedError:
                    ready = []
                with self.lock:
                    if self.stopping:
                        return
                    dirty, self.dirty = self.dirty, set()
                    for fd, mask in ready:
                        outlet = self.outlets.get(fd)
                        if outlet is None:
                            continue
                        if mask & _HANGUP:  # the client left: its thread ends the stream
                            outlet.done.set()
                        else:
                            dirty.add(outlet)
                for fd, _mask in ready:
                    if fd == self._wake_r.fileno():
                        self._drain_wake()
                for outlet in dirty:
                    self._flush(outlet)
                now = time.monotonic()
                if now >= next_beat:
                    next_beat = now + min(self.heartbeat, 1.0)
                    self._beat(now)
        except Exception:
            log.exception("live: the writer thread failed; its streams end and resume")
            with self.lock:
                outlets = list(self.outlets.values())
            for outlet in outlets:
                outlet.done.set()
        finally:
            self.epoll.close()
            self._wake_r.close()
            self._wake_w.close()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _flush(self, outlet: Outlet) -> None:
        with outlet.lock:
            if outlet.detached:
                return
            if outlet.buf:
                try:
                    sent = outlet.sock.send(outlet.buf, socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:  # the client is gone
                    outlet.buf.clear()
                    outlet.done.set()
                    sent = 0
                if sent:
                    del outlet.buf[:sent]
                    outlet.wrote_at = time.monotonic()
            if outlet.buf and not outlet.watched and not outlet.done.is_set():
                self.epoll.modify(outlet.fd, _HANGUP | select.EPOLLOUT)
                outlet.watched = True
            elif not outlet.buf:
                outlet.lag = 0
                if outlet.watched:
                    outlet.watched = False
                    self.epoll.modify(outlet.fd, _HANGUP)

    def _beat(self, now: float) -> None:
        """A heartbeat to every outlet idle for LIVE_HEARTBEAT_SECONDS; a departed client ends its stream."""
        with self.lock:
            idle = [o for o in self.outlets.values() if now - o.wrote_at >= self.heartbeat]
        for outlet in idle:
            if peer_gone(outlet.sock):
                outlet.done.set()
                continue
            with outlet.lock:
                queued = not outlet.buf and outlet.queue(HEARTBEAT)
            if queued:
                self._flush(outlet)
            outlet.wrote_at = now


def peer_gone(sock) -> bool:
    """The client closed its end (a read would return end-of-file): stop writing to it."""
    if sock is None:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except ValueError:  # TLS sockets take no flags: the next write will tell
        return False
    except OSError:
        return True
