"""The sealed reserve in the database: each envelope the decision branch sealed (the last one counts), the
keyholders' shares released for its opening, and the opening's record.

Before the opening nothing here holds the amount: an envelope (column `sealed`, which the audit log never
copies) is ciphertext to the trade's opening key, whose private half exists only split among the keyholders.
After the opening the supervisors sign the record's SHA-256 with their own keys (ReserveSignature).
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.extensions import db
from trading.signing.models import SignedAct
from trading.types import Money, UTCDateTime


class SealedReserve(db.Model):
    """One sealed reserve of a sale: `seq` 1 for the first, +1 for each replacement; the one with the
    highest `seq` counts, the others keep `replaced_at` (each replacement is logged)."""

    __tablename__ = "auction_reserves"
    __table_args__ = (sa.UniqueConstraint("trade_id", "seq", name="uq_auction_reserves_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    #: the envelope (PRSB format 2) as uploaded: ciphertext only
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.Integer)
    sealed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the platform's signed receipt (bidding/crypto/receipt.py), canonical JSON
    receipt: Mapped[str] = mapped_column(sa.Text)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sealed_by = relationship("User")


class ReserveRelease(db.Model):
    """A keyholder's share released for opening the reserve, held sealed (as the ceremony holds its
    shares) until the opening erases it."""

    __tablename__ = "auction_reserve_releases"
    __table_args__ = (sa.UniqueConstraint("trade_id", "keyholder_id", name="uq_auction_reserve_releases"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    keyholder_id: Mapped[int] = mapped_column(sa.ForeignKey("keyholders.id"))
    released_at: Mapped[datetime] = mapped_column(UTCDateTime)
    held_share: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    keyholder = relationship("Keyholder")


class ReserveOpening(db.Model):
    """The reserve as opened after the last bid: the amount, the envelope it came from (its SHA-256), who
    released, when; `record` is the canonical JSON of all that and `record_sha256` its hash."""

    __tablename__ = "auction_reserve_openings"

    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), primary_key=True)
    reserve_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_reserves.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    envelope_sha256: Mapped[str] = mapped_column(sa.String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    record: Mapped[str] = mapped_column(sa.Text)
    record_sha256: Mapped[str] = mapped_column(sa.String(64))

    reserve: Mapped[SealedReserve] = relationship()
    opened_by = relationship("User")


class ReserveSignature(SignedAct, db.Model):
    """A supervisor's signature, with their own key, on the reserve's opening record (its SHA-256), with any
    dissent (trading/signing, kind "reserve-record"); one per supervisor and sale."""

    __tablename__ = "auction_reserve_signatures"
    __table_args__ = (sa.UniqueConstraint("trade_id", "user_id", name="uq_auction_reserve_signatures_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    record_sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dissent: Mapped[str | None] = mapped_column(sa.Text)

    user = relationship("User")
