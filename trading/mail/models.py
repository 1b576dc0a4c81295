"""The mail outbox table: every e-mail the platform sends, queued in the transaction that caused it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class OutboxMail(db.Model):
    """An e-mail queued in the transaction that caused it; sent later, retried, never deleted.

    A row is claimed before sending (attempts + 1, next attempt pushed past a lease), then marked
    sent, or given its next attempt with backoff. A crash between sending and marking sends it
    again: delivery is at least once, and the stable Message-ID lets a mail system drop the repeat.
    """

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(250))
    body: Mapped[str] = mapped_column(sa.Text)
    locale: Mapped[str] = mapped_column(sa.String(10))
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
