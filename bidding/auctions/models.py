"""The terms of a land or property sale, the registrations (竞买申请) with their paddle numbers, and the
listing quotes (挂牌报价).

The starting price (起始价 / 挂牌价) is the trade's `estimated_price`, the deposit (竞买保证金) its
`bid_security`: the terms below add what an auction needs beyond a tender.
"""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime

MAX_TEXT = 2000
#: the live round's countdown and the time registrants have to confirm they enter it (local rules,
#: RULES.md "timed bidding": 5 minutes each by default)
DEFAULT_COUNTDOWN = 300
DEFAULT_CONFIRM = 300


class AuctionTerms(db.Model):
    """What a land or property sale adds to the trade: the increment, the appraisal (property), the live
    round's timings, and when the disclosed terms were fixed (an amendment restarts the disclosure)."""

    __tablename__ = "auction_terms"

    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), primary_key=True)
    #: the fixed step of every quote and live bid (加价幅度); staff may change it during the listing, logged
    increment: Mapped[Decimal] = mapped_column(Money)
    #: the appraised value (评估值) a property transfer's first reserve may not be below (O32 Art 17)
    appraised_value: Mapped[Decimal | None] = mapped_column(Money)
    countdown_seconds: Mapped[int] = mapped_column(default=DEFAULT_COUNTDOWN)
    confirm_seconds: Mapped[int] = mapped_column(default=DEFAULT_CONFIRM)
    #: an auction (拍卖) opens its live round at this time, without a listing phase
    round_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a property transfer that changes control needs a pre-disclosure (O32 Art 13)
    control_change: Mapped[bool] = mapped_column(default=False)
    #: when the current disclosed terms were fixed (the notice out, or the last amendment)
    disclosed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    amendments: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    trade = relationship("Trade")

    __mapper_args__ = {"version_id_col": version}


class RegistrationStatus(str, enum.Enum):
    APPLIED = "applied"
    QUALIFIED = "qualified"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Registration(db.Model):
    """One company's application to bid (竞买申请): its qualification documents, the staff's decision,
    the deposit it rests on, and its paddle number (竞买号牌), the only name the live round shows."""

    __tablename__ = "auction_registrations"
    __table_args__ = (
        sa.UniqueConstraint("trade_id", "organisation_id", name="uq_auction_registrations_org"),
        sa.UniqueConstraint("trade_id", "paddle", name="uq_auction_registrations_paddle"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    status: Mapped[RegistrationStatus] = mapped_column(
        sa.Enum(RegistrationStatus, native_enum=False, length=16), default=RegistrationStatus.APPLIED)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: given at qualification, drawn at random among the free numbers of the trade
    paddle: Mapped[int | None] = mapped_column()
    #: the confirmed deposit this registration rests on (bidding.deposits; the paying account kept there)
    deposit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bid_deposits.id"))

    trade = relationship("Trade")
    organisation = relationship("Organisation")
    applicant = relationship("User", foreign_keys=[applicant_id])
    deposit = relationship("BidDeposit")
    documents: Mapped[list[RegistrationDocument]] = relationship(back_populates="registration",
                                                                 cascade="all, delete-orphan")

    @property
    def may_bid(self) -> bool:
        """Qualified with a confirmed deposit: may quote in the listing and enter the live round."""
        return self.status is RegistrationStatus.QUALIFIED and self.deposit_id is not None


class RegistrationDocument(db.Model):
    """A qualification document (资格证明) of a registration, kept in the blob store by its hash."""

    __tablename__ = "auction_registration_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_registrations.id", ondelete="CASCADE"),
                                                 index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column()
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    registration: Mapped[Registration] = relationship(back_populates="documents")


class ListingQuote(db.Model):
    """A quote in the listing (挂牌报价), accepted or refused. An accepted quote takes the next `seq` of its
    trade (unique: two quotes for the same level, exactly one takes it); a refused one keeps its reason
    code and no `seq`. Both are audit entries."""

    __tablename__ = "auction_listing_quotes"
    __table_args__ = (sa.UniqueConstraint("trade_id", "seq", name="uq_auction_listing_quotes_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_registrations.id"), index=True)
    paddle: Mapped[int] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(Money)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seq: Mapped[int | None] = mapped_column()
    refusal: Mapped[str | None] = mapped_column(sa.String(32))

    registration = relationship("Registration")


class IncrementChange(db.Model):
    """The staff changed the increment during the listing (the rules allow it, logged with its reason):
    a public row, as the price board shows the increment to everyone."""

    __tablename__ = "auction_increment_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    old_increment: Mapped[Decimal] = mapped_column(Money)
    new_increment: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
