"""Throttles kept in the database, so every worker and host counts the same: failed logins (and a
keyholder's wrong passphrases, in bidding) and anonymous writes, each per client address in a sliding window.

All of them are rows of `login_attempts` told apart by their key: a failed login is (username,
address), a wrong passphrase ("passphrase:<user>", "trade:<id>"), an anonymous write
("anonymous", "anon:<address>"), so one kind never counts against another's limit. The address is
`request.remote_addr`, which the app factory takes from X-Forwarded-For only behind
TRUSTED_PROXIES reverse proxies.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from trading.accounts.models import LoginAttempt
from trading.clock import now
from trading.errors import Throttled
from trading.extensions import db

ANONYMOUS = "anonymous"


def recent(remote_addr: str, window_seconds: int, *, username: str | None = None) -> tuple[int, datetime | None]:
    """How many attempts under this key in the window, and when the oldest of them was."""
    since = now() - timedelta(seconds=window_seconds)
    stmt = sa.select(sa.func.count(), sa.func.min(LoginAttempt.at)).where(
        LoginAttempt.remote_addr == remote_addr[:64], LoginAttempt.at > since)
    if username is not None:
        stmt = stmt.where(LoginAttempt.username == username[:64])
    count, oldest = db.session.execute(stmt).one()
    return int(count or 0), oldest


def retry_after(oldest: datetime | None, window_seconds: int) -> int:
    """Seconds until the oldest attempt leaves the window (and one more attempt is allowed)."""
    if oldest is None:
        return window_seconds
    from trading.clock import aware

    left = (aware(oldest) + timedelta(seconds=window_seconds) - now()).total_seconds()
    return max(1, math.ceil(left))


def limit_anonymous(remote_addr: str | None) -> None:
    """Count one anonymous write (a document download, a subscription) from this address, or refuse
    it with a 429 once ANON_RATE_LIMIT of them came within ANON_RATE_WINDOW_SECONDS.

    A refused request writes nothing, so one address can make at most ANON_RATE_LIMIT rows per window."""
    cfg = current_app.config
    window, limit = int(cfg["ANON_RATE_WINDOW_SECONDS"]), int(cfg["ANON_RATE_LIMIT"])
    key = f"anon:{remote_addr or '-'}"[:64]
    count, oldest = recent(key, window)
    if count >= limit:
        wait = retry_after(oldest, window)
        raise Throttled(_("Too many requests from your address. Try again in %(m)d minutes.",
                          m=math.ceil(wait / 60)), retry_after=wait)
    # rows that left the window count for nothing: drop them, so an address keeps at most `limit`
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.remote_addr == key,
                                                     LoginAttempt.at < now() - timedelta(seconds=window)))
    db.session.add(LoginAttempt(username=ANONYMOUS, remote_addr=key, at=now()))
