"""The one clock of the platform: every 'now' in the code is read here, so tests can freeze it."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


class Clock:
    """Wall clock by default; `freeze` and `advance` make it a movable test clock."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
        return datetime.now(timezone.utc)

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("clock needs a timezone-aware datetime")
        with self._lock:
            self._frozen = at.astimezone(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen is None:
                raise RuntimeError("only a frozen clock can be advanced")
            self._frozen = self._frozen + delta

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None

    @property
    def frozen(self) -> bool:
        return self._frozen is not None


clock = Clock()


def now() -> datetime:
    return clock.now()


def local_tz() -> tzinfo:
    """The platform's legal time zone (day counting happens in it)."""
    name = current_app.config.get("TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def aware(value: datetime) -> datetime:
    """Databases such as SQLite drop the offset; stored values are UTC, so put it back."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value
