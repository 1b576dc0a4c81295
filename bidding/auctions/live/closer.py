"""The running round's timer: one thread per process closes a round when its countdown runs out.

The tick (`services.run_due`, every SCHEDULER_SECONDS: 30 s by default) closed rounds up to 35 s after their
`ends_at`. This closer sleeps until the round's due time (`ends_at` plus the close grace, or the end of the
confirmation window), wakes, reads the round under the write lock and does what the tick would
(`services.due_work`): close it, or open it when the window ended. A bid that moved `ends_at` meanwhile
just sets the next wake-up. The closer learns of a round when a transaction that started or opened one
commits, and from each tick (a restarted process picks up a running round at its first tick); the tick
still closes any round the closer missed.

On when LIVE_ROUND_CLOSER is (the default outside tests; the tests that need it switch it on). Times come
from `trading.clock`: with the frozen clock a test moves the clock and calls `poke()`.
"""
from __future__ import annotations

import os
import threading
from datetime import datetime

from flask import Flask, current_app, has_app_context

from trading.clock import now
from trading.extensions import db

#: seconds the closer sleeps at most between two looks at its rounds (a clock moved by hand, a missed wake-up)
MAX_SLEEP = 30.0
#: the session.info key of the rounds started or opened in the session's transaction
PENDING = "live_rounds_to_watch"


def enabled(app: Flask) -> bool:
    return bool(app.config.get("LIVE_ROUND_CLOSER", not app.testing))


class Closer:
    """The process's closer thread and the rounds it watches."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.rounds: set[int] = set()
        self.thread: threading.Thread | None = None
        self.poked = False
        self.started = self.finished = 0  # passes over the rounds begun, and the last one done

    def watch(self, round_ids) -> None:
        with self.lock:
            self.rounds.update(round_ids)
            self.poked = True
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="live-round-closer", daemon=True)
                self.thread.start()
            self.changed.notify_all()

    def poke(self, timeout: float = 30.0) -> bool:
        """Look at the rounds now (a test moved the frozen clock) and wait until that look is done: a pass
        begun after this call has committed. False if none finished within `timeout` (or no round is watched)."""
        with self.lock:
            if self.thread is None:
                return False
            self.poked = True
            target = self.started + 1
            self.changed.notify_all()
            return self.changed.wait_for(lambda: self.finished >= target, timeout)

    def _run(self) -> None:
        while True:
            with self.lock:
                self.started += 1
                mine, self.poked = self.started, False
            wake = self._pass()
            with self.lock:
                self.finished = mine
                self.changed.notify_all()
                if not self.rounds:
                    self.thread = None
                    return
                self.changed.wait_for(lambda: self.poked, wake)

    def _pass(self) -> float:
        """Do the due work of the watched rounds; returns the seconds until the next one is due."""
        from bidding.auctions.live.services import due_work

        with self.lock:
            rounds = sorted(self.rounds)
        sleep = MAX_SLEEP
        for round_id in rounds:
            with self.app.app_context():
                # a fresh session: the scoped registry is keyed by the context's id, which a dead context that
                # left its session behind (another thread's) may have had
                db.session.remove()
                try:
                    when = due_work(round_id)
                    db.session.commit()
                except Exception:  # the tick tries again; so does this closer, MAX_SLEEP later
                    db.session.rollback()
                    current_app.logger.exception("live round closer failed for round %s", round_id)
                    continue
                finally:
                    db.session.remove()
            if when is None:  # closed (or gone): no more wake-ups for it
                with self.lock:
                    self.rounds.discard(round_id)
                continue
            sleep = min(sleep, max(0.0, _seconds_until(when)))
        return sleep


def _seconds_until(when: datetime) -> float:
    return (when - now()).total_seconds()


_closers_lock = threading.Lock()


def closer(app: Flask) -> Closer:
    with _closers_lock:
        found = app.extensions.get("live_round_closer")
        if found is None or found.pid != os.getpid():  # a forked process starts its own
            found = app.extensions["live_round_closer"] = Closer(app)
        return found


def watch_after_commit(round_id: int) -> None:
    """Called in the transaction that started or opened the round: the closer watches it once committed."""
    if enabled(current_app):
        db.session.info.setdefault(PENDING, set()).add(round_id)


def _after_commit(session) -> None:
    """The session committed: hand the rounds it started or opened to the closer."""
    pending = session.info.pop(PENDING, None)
    if pending and has_app_context():
        closer(current_app._get_current_object()).watch(pending)


def install() -> None:
    """Watch the rounds a transaction started or opened once it commits (once per process)."""
    import sqlalchemy as sa
    from flask_sqlalchemy.session import Session as FSASession

    if not sa.event.contains(FSASession, "after_commit", _after_commit):
        sa.event.listen(FSASession, "after_commit", _after_commit)
        sa.event.listen(FSASession, "after_soft_rollback",  # the outer transaction only: a savepoint keeps them
                       lambda s, t: None if t.nested else s.info.pop(PENDING, None))
