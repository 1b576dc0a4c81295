"""The supervision plane's periodic work: checkpoints, cards, mail, expiring terms.

The app factory registers each part's tick here (`on_tick`) and runs them from the in-process
scheduler; `flask monitor tick` runs them for cron. Imports nothing of monitor: every part may use it.
"""
from __future__ import annotations

from collections.abc import Callable

#: periodic work run by the in-process scheduler and by `flask monitor tick` (checkpoints, cards...)
TICKS: list[Callable[[], object]] = []


def on_tick(fn: Callable[[], object]) -> Callable[[], object]:
    if fn not in TICKS:
        TICKS.append(fn)
    return fn


def run_ticks() -> list[object]:
    return [fn() for fn in TICKS]
