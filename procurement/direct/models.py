"""Single source: the supplier the notice names, objections to the notice, the negotiation record and its
signatures (O74 Arts. 38-43). Inquiry keeps no table of its own: its quotes are sealed bids (bidding.submission)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.extensions import db
from trading.types import Money, UTCDateTime


class SingleSource(db.Model):
    """The supplier a single-source procurement names and why (GPL 31; O74 Art. 38: both are in the notice)."""

    __tablename__ = "single_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    named_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    named_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set when an upheld objection stopped the single source (O74 Art. 40: another method follows)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_reason: Mapped[str | None] = mapped_column(sa.Text)

    trade = relationship("Trade")
    supplier = relationship("Organisation")


class SingleSourceObjection(db.Model):
    """An objection (异议) to the single-source notice, filed during the notice period by anyone signed in
    (O74 Art. 39), answered by the purchaser after its supplementary review (O74 Art. 40)."""

    __tablename__ = "single_source_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer_due: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    upheld: Mapped[bool | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    filed_by = relationship("User", foreign_keys=[filed_by_id])
    organisation = relationship("Organisation")


class NegotiationRecord(db.Model):
    """The negotiation record (协商情况记录, O74 Art. 43): when and where, the supplier's cost and comparable
    contract prices, the main terms and the agreed price; signed by every panel member."""

    __tablename__ = "negotiation_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    price: Mapped[Decimal] = mapped_column(Money)
    negotiated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200))
    cost_basis: Mapped[str] = mapped_column(sa.Text)
    terms: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    trade = relationship("Trade")
    signatures: Mapped[list[NegotiationSignature]] = relationship(back_populates="record",
                                                                  order_by="NegotiationSignature.id")


class NegotiationSignature(db.Model):
    """One panel member's signature on the record: agreeing, or disagreeing with the reason (O74 Art. 43)."""

    __tablename__ = "negotiation_signatures"
    __table_args__ = (sa.UniqueConstraint("record_id", "user_id", name="uq_negotiation_signatures_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("negotiation_records.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    agrees: Mapped[bool] = mapped_column()
    dissent: Mapped[str | None] = mapped_column(sa.Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    record: Mapped[NegotiationRecord] = relationship(back_populates="signatures")
    user = relationship("User")
