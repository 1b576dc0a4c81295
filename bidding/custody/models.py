"""Kept bid documents, the supervisors assigned to a complaint, and every read of a kept document."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class KeptDocument(db.Model):
    """One file attached to an opened bid, kept encrypted under its own data key (`sealed`: the data
    key wrapped under the custody key; the audit log never copies it). `sha256` is the plaintext's,
    as the opening record binds it; `blob_sha256` names the ciphertext in the blob directory."""

    __tablename__ = "kept_documents"
    __table_args__ = (sa.UniqueConstraint("bid_id", "name", name="uq_kept_documents_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(sa.String(1024))  # the bidder's name for it: never used as a path
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    blob_sha256: Mapped[str] = mapped_column(sa.String(64))
    blob_size: Mapped[int] = mapped_column(sa.BigInteger)
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    key_id: Mapped[str] = mapped_column(sa.String(16))
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime)

    trade = relationship("Trade")
    organisation = relationship("Organisation")


class ComplaintReview(db.Model):
    """An administrative supervisor assigned to a complaint (投诉, Reg 60-61) on a trade: while the
    assignment is open they may read the kept bid documents. The complaints work (issue 10 item 5)
    opens and closes these; `complaint_ref` names the complaint."""

    __tablename__ = "complaint_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    complaint_ref: Mapped[str] = mapped_column(sa.String(200))
    assigned_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trade = relationship("Trade")
    supervisor = relationship("User", foreign_keys=[supervisor_id])


class CustodyRead(db.Model):
    """One read of a kept document: who, on what ground, when (written in the reading transaction, so
    the audit log holds every read)."""

    __tablename__ = "custody_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("kept_documents.id"), index=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    basis: Mapped[str] = mapped_column(sa.String(16))  # committee | tenderer | complaint
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    document: Mapped[KeptDocument] = relationship()
    user = relationship("User")
