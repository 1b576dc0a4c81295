"""What a state property transfer (企业国有产权转让, O32) records beyond a land sale: the pre-disclosure of a
transfer that changes control, each change of the transfer reserve (转让底价) with the decision branch's
written consent where the law asks for it, extended disclosures, and the negotiated transfer (协议转让) to a
sole qualified transferee.

The reserve of a property transfer is public: it is the starting price, the trade's `estimated_price`.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime

MAX_REASON = 2000


class PreDisclosure(db.Model):
    """The pre-disclosure (信息预披露) of a transfer that changes control: its notice and when it went out;
    the formal disclosure may start 20 working days later at the earliest (O32 Art 13)."""

    __tablename__ = "property_pre_disclosures"

    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    published_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    notice = relationship("Notice")
    published_by = relationship("User")


class ReserveConsent(db.Model):
    """The written consent (书面同意) of the body that approved the transfer to a reserve below 90% of the
    appraisal (O32 Art 18), recorded by the decision branch with the signed document's hash."""

    __tablename__ = "property_reserve_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    #: the lowest reserve the consent allows
    lowest_price: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(sa.Text)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    decided_by = relationship("User")


class ReserveChange(db.Model):
    """One change of the transfer reserve, old and new price. After the disclosure it is a cut that opens a
    new disclosure period from the change (O32 Art 18): the new deadline and the notice are kept with it."""

    __tablename__ = "property_reserve_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    old_price: Mapped[Decimal] = mapped_column(Money)
    new_price: Mapped[Decimal] = mapped_column(Money)
    appraised_value: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(sa.Text)
    consent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("property_reserve_consents.id"))
    old_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notices.id"))
    changed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    consent = relationship("ReserveConsent")
    changed_by = relationship("User")


class DisclosureExtension(db.Model):
    """A disclosure that found no qualified transferee, extended to a new deadline (O32 Art 18: 延期)."""

    __tablename__ = "property_disclosure_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    old_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    new_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(sa.Text)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"))
    extended_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    extended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class NegotiatedTransfer(db.Model):
    """The negotiated transfer (协议转让) to the one qualified transferee at not less than the reserve: the
    offer the deal reads (bidding.auctions.outcome, basis "negotiated")."""

    __tablename__ = "property_negotiated_transfers"

    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_registrations.id"))
    paddle: Mapped[int] = mapped_column()
    price: Mapped[Decimal] = mapped_column(Money)
    #: the reserve at the time, which the price may not be below
    reserve: Mapped[Decimal] = mapped_column(Money)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
