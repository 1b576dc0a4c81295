"""One open stream's side of the hub: its queue of ready-made batches (or, once the stream has sent its
backlog, its socket's `Outlet`, written by the hub's writer thread), and the filter that decides
which events it gets when it is served alone (its viewer made one of them)."""
from __future__ import annotations

import queue

from monitor.audit.visibility import audience_of, visible_to
from monitor.live.events import Batch, Event, Scope, Viewer
from monitor.live.outlets import Outlet


class Subscriber:
    """One open stream: its viewer, scope and queue of batches ready to write."""

    __slots__ = ("viewer", "scope", "variant", "queue", "cut", "limit", "group", "outlet")

    def __init__(self, viewer: Viewer, scope: Scope, limit: int = 5000) -> None:
        self.viewer, self.scope, self.limit = viewer, scope, limit
        self.variant = 0 if viewer.is_authenticated else 1
        #: streams with equal groups get the same batches (the viewer's own entries aside)
        self.group = (self.variant, audience_of(viewer), scope)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.cut = False
        self.outlet: Outlet | None = None  # set by Hub.attach: the writer thread sends from then on

    def wants(self, ev: Event) -> bool:
        return (self.scope.matches(ev.centre_id, ev.trade_id)
                and visible_to(self.viewer, ev.audience, ev.centre_id, ev.actor_id))

    def offer(self, ev: Event) -> None:
        """One event, filtered for this stream alone."""
        if self.wants(ev):
            self.put(Batch.of([ev], self.variant))

    def put(self, batch: Batch) -> Outlet | None:
        """Queue a batch for the stream; returns the outlet when the bytes went to one (the writer is
        then told), None otherwise."""
        if self.cut:
            return None
        if self.outlet is not None:
            return self.outlet if self.send(batch) else None
        if self.queue.qsize() >= self.limit:
            # too far behind: end the stream after what it holds; the client resumes from the database
            self.cut = True
            self.queue.put(None)
            return None
        self.queue.put(batch)
        return None

    def send(self, batch: Batch) -> bool:
        """Add a batch to the outlet's bytes, leaving out events its socket already carried."""
        outlet = self.outlet
        with outlet.lock:
            if batch.first > outlet.last:
                data, last = batch.data, batch.index
            else:
                fresh = [ev for ev in batch.events if ev.index > outlet.last]
                if not fresh:
                    return False
                data, last = b"".join(ev.frames[self.variant] for ev in fresh), fresh[-1].index
            if not outlet.queue(data):
                self.cut = self.cut or outlet.cut
                return False
            outlet.last = last
            return True

    def end(self) -> None:
        self.queue.put(None)
        if self.outlet is not None:
            self.outlet.done.set()

