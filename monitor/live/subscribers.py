"""One open stream's side of the hub: its queue of ready-made batches, and the filter that decides
which events it gets when it is served alone (its viewer made one of them)."""
from __future__ import annotations

import queue

from monitor.audit.visibility import audience_of, visible_to
from monitor.live.events import Batch, Event, Scope, Viewer


class Subscriber:
    """One open stream: its viewer, scope and queue of batches ready to write."""

    __slots__ = ("viewer", "scope", "variant", "queue", "cut", "limit", "group")

    def __init__(self, viewer: Viewer, scope: Scope, limit: int = 5000) -> None:
        self.viewer, self.scope, self.limit = viewer, scope, limit
        self.variant = 0 if viewer.is_authenticated else 1
        #: streams with equal groups get the same batches (the viewer's own entries aside)
        self.group = (self.variant, audience_of(viewer), scope)
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.cut = False

    def wants(self, ev: Event) -> bool:
        return (self.scope.matches(ev.centre_id, ev.trade_id)
                and visible_to(self.viewer, ev.audience, ev.centre_id, ev.actor_id))

    def offer(self, ev: Event) -> None:
        """One event, filtered for this stream alone."""
        if self.wants(ev):
            self.put(Batch.of([ev], self.variant))

    def put(self, batch: Batch) -> None:
        if self.cut:
            return
        if self.queue.qsize() >= self.limit:
            # too far behind: end the stream after what it holds; the client resumes from the database
            self.cut = True
            self.queue.put(None)
            return
        self.queue.put(batch)

    def end(self) -> None:
        self.queue.put(None)

