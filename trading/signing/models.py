"""A person's published signing key: the public half only; the private half never reaches the server."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class SigningKey(db.Model):
    """A P-256 public key a person made on their own machine (browser or `python -m trading.signing`).

    Published with its fingerprint (GET /api/v1/signing/keys); valid from `valid_from` until
    `valid_until` (None: open) or until revoked. A person has at most one key in force: registering a
    new one ends the old one's validity at that moment, and signatures made before stay checkable."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    alg: Mapped[str] = mapped_column(sa.String(24))
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(200))  # DER SubjectPublicKeyInfo
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(sa.Text)

    user = relationship("User")

    def valid_at(self, moment: datetime) -> bool:
        if moment < self.valid_from:
            return False
        if self.revoked_at is not None and moment >= self.revoked_at:
            return False
        return self.valid_until is None or moment < self.valid_until


class SignedAct:
    """Columns of a row that a person signed: the exact statement, their signature over it (r || s) and the
    fingerprint of the key it verifies with. Empty only on rows made before signatures were required;
    the offline verifier reports such rows as unsigned."""

    statement: Mapped[str | None] = mapped_column(sa.Text)
    signature: Mapped[bytes | None] = mapped_column(sa.LargeBinary(64))
    key_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
