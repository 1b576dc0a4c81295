"""Sealed bids in the database: each version of a bidder's envelope with the receipt it got."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.extensions import db
from trading.types import UTCDateTime


class BidState(str, enum.Enum):
    SUBMITTED = "submitted"
    REPLACED = "replaced"
    WITHDRAWN = "withdrawn"


class Bid(db.Model):
    """One version of a bidder's sealed envelope for a trade, with the signed receipt it got."""

    __tablename__ = "bids"
    __table_args__ = (sa.UniqueConstraint("trade_id", "organisation_id", "version", name="uq_bids_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int]
    state: Mapped[BidState] = mapped_column(sa.Enum(BidState, native_enum=False, length=16),
                                            default=BidState.SUBMITTED)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    receipt: Mapped[str] = mapped_column(sa.Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation = relationship("Organisation")
