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


class KeyOrigin(str, enum.Enum):
    """Where a personal key was made: on the holder's machine, or (before 0013) by the platform."""

    CLIENT = "client"
    PLATFORM = "platform"


class PersonalKey(db.Model):
    """A keyholder's own key pair, made on their machine: the public key, and the private half only
    if they chose to keep it here wrapped under their passphrase (which the platform never sees)."""

    __tablename__ = "personal_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: the version 2 blob (keys.py), wrapped on the holder's machine; None if kept offline
    protected_key: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    origin: Mapped[KeyOrigin] = mapped_column(sa.Enum(KeyOrigin, native_enum=False, length=16),
                                              default=KeyOrigin.CLIENT)
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
    """One keyholder's share, sealed to their personal key: useless without their passphrase. The
    commitment (keys.share_commitment) lets the release check the share without opening it; the
    holder fingerprint is the key it was sealed to, as published with the notice."""

    __tablename__ = "sealed_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_key_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_keys.id"), index=True)
    keyholder_id: Mapped[int] = mapped_column(sa.ForeignKey("keyholders.id"), unique=True)
    personal_key_id: Mapped[int] = mapped_column(sa.ForeignKey("personal_keys.id"))
    side: Mapped[Side] = mapped_column(sa.Enum(Side, native_enum=False, length=16))
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    commitment: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    holder_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))

    opening_key: Mapped[OpeningKey] = relationship(back_populates="shares")
    keyholder: Mapped[Keyholder] = relationship()
