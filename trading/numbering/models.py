"""The counters behind every sequence number: one row per scope (a centre's trade references, a trade's
clarifications, ...) and period (a year, or 0 for a sequence that never restarts)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trading.extensions import db


class Counter(db.Model):
    """The last number given out in one scope and period; only `numbering.services` changes it."""

    __tablename__ = "counters"

    scope: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    period: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
