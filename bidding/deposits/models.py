"""Bid-security deposits (投标保证金): who paid how much for which trade, and when it was settled."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime

#: the longest note kept on a deposit (longer ones are cut)
MAX_NOTE = 2000
#: the longest paying account kept (an account number, or a bank and account)
MAX_ACCOUNT = 64


class BidDeposit(db.Model):
    """One company's deposit on one trade, recorded by the executing staff.

    It is settled either by a refund (`refunded_at`, within the legal period: Reg 35, 57; O87 38;
    O39 21) or, by a recorded decision, kept (`retained_at`: a land winner's deposit becomes part of
    the price, a ruling forfeits one). E-supervision watches that every deposit is settled in time.
    """

    __tablename__ = "bid_deposits"
    __table_args__ = (sa.UniqueConstraint("trade_id", "organisation_id", name="uq_bid_deposits_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retained_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: the account the deposit was transferred from, as the bank statement shows it (Reg 40(6): deposits
    #: of different bidders from one account are deemed collusion; bidding.collusion compares them)
    payer_account: Mapped[str | None] = mapped_column(sa.String(MAX_ACCOUNT))

    trade = relationship("Trade")
    organisation = relationship("Organisation")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    @property
    def settled_at(self) -> datetime | None:
        return self.refunded_at or self.retained_at
