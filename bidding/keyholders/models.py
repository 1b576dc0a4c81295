"""Key custody in the database: keyholders and their personal keys, opening keys and sealed shares."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class Side(str, enum.Enum):
    """The two halves of the opening key: executing staff hold A, supervisors hold B."""

    EXECUTE = "execute"
    SUPERVISE = "supervise"


class PersonalKey(db.Model):
    """A keyholder's own key pair; the private half is stored only under their passphrase (Argon2id)."""

    __tablename__ = "personal_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    protected_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Keyholder(db.Model):
    """A person appointed by the decision branch to hold a share of one trade's opening key."""

    __tablename__ = "keyholders"
    __table_args__ = (sa.UniqueConstraint("trade_id", "user_id", name="uq_keyholders_trade_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    side: Mapped[Side] = mapped_column(sa.Enum(Side, native_enum=False, length=16))
    appointed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    user = relationship("User", foreign_keys=[user_id])


class OpeningKey(db.Model):
    """A trade's opening public key; the private key exists only as sealed shares."""

    __tablename__ = "opening_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    execute_threshold: Mapped[int]
    supervise_threshold: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    shares: Mapped[list[SealedShare]] = relationship(back_populates="opening_key", cascade="all, delete-orphan")


class SealedShare(db.Model):
    """One keyholder's share, sealed to their personal key: useless without their passphrase."""

    __tablename__ = "sealed_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_key_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_keys.id"), index=True)
    keyholder_id: Mapped[int] = mapped_column(sa.ForeignKey("keyholders.id"), unique=True)
    personal_key_id: Mapped[int] = mapped_column(sa.ForeignKey("personal_keys.id"))
    side: Mapped[Side] = mapped_column(sa.Enum(Side, native_enum=False, length=16))
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)

    opening_key: Mapped[OpeningKey] = relationship(back_populates="shares")
    keyholder: Mapped[Keyholder] = relationship()
