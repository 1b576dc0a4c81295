"""The public key the platform published for each signing purpose: one row per purpose, never replaced."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from trading.extensions import db
from trading.types import UTCDateTime


class PublishedKey(db.Model):
    """Recorded the first time the platform signs for `purpose`; every host must sign with its pair."""

    __tablename__ = "published_keys"

    purpose: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    alg: Mapped[str] = mapped_column(sa.String(16))
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(64))
    key_id: Mapped[str] = mapped_column(sa.String(32))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
