"""The deal row of a sale (winner, price, basis, premium), its transaction confirmation (成交确认书) with the
platform's signature, and the parties' signatures over it."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.extensions import db
from trading.signing.models import SignedAct
from trading.types import Money, UTCDateTime


class Outcome(str, enum.Enum):
    CONCLUDED = "concluded"
    NO_DEAL = "no_deal"


class NoDealReason(str, enum.Enum):
    NO_OFFER = "no_offer"  # nobody quoted or bid
    BELOW_RESERVE = "below_reserve"  # the best offer is below the opened reserve (O39 Arts. 16, 19)


class Party(str, enum.Enum):
    BUYER = "buyer"  # the winner's representative (受让方 / 竞得人)
    SELLER = "seller"  # the seller's representative (出让方 / 转让方)


#: percentages are kept to 0.01 %, rounded half up (the statistics read them as they are)
PERCENT = sa.Numeric(12, 2, asdecimal=True)


class Deal(db.Model):
    """How a sale ended, once: the winning offer (registration, paddle, price, basis) or why there was no
    deal, the reserve it was compared with (once opened), and the figures the statistics read: the premium
    over the starting price and the appreciation over the appraised value, in percent."""

    __tablename__ = "auction_deals"

    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), primary_key=True)
    outcome: Mapped[Outcome] = mapped_column(sa.Enum(Outcome, native_enum=False, length=16))
    reason: Mapped[NoDealReason | None] = mapped_column(sa.Enum(NoDealReason, native_enum=False, length=16))
    registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("auction_registrations.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    paddle: Mapped[int | None] = mapped_column()
    #: the deal price (成交价); for no deal, the best offer there was (None: no offer)
    price: Mapped[Decimal | None] = mapped_column(Money)
    #: how the best offer was made: "listing_quote" | "live_bid" | "negotiated" (bidding.auctions.outcome)
    basis: Mapped[str | None] = mapped_column(sa.String(24))
    offer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the opened reserve the offer was compared with (None: the sale had none)
    reserve: Mapped[Decimal | None] = mapped_column(Money)
    starting_price: Mapped[Decimal] = mapped_column(Money)
    appraised_value: Mapped[Decimal | None] = mapped_column(Money)
    #: (price / starting price − 1) × 100, half up to 0.01 (land's 溢价率)
    premium_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    #: (price / appraised value − 1) × 100, half up to 0.01 (property's 增值率)
    appreciation_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    trade = relationship("Trade")
    registration = relationship("Registration")
    organisation = relationship("Organisation")


class Confirmation(db.Model):
    """The transaction confirmation (成交确认书): a canonical record of the deal, its SHA-256, and the
    platform's Ed25519 signature over that hash (the receipt key: trading.platform_keys); the parties sign
    the same hash with their own keys (ConfirmationSignature). Complete when both have signed."""

    __tablename__ = "auction_deal_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_deals.trade_id"), unique=True)
    record: Mapped[dict] = mapped_column(sa.JSON)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    platform_signature: Mapped[bytes] = mapped_column(sa.LargeBinary)
    platform_key_id: Mapped[str] = mapped_column(sa.String(32))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deal: Mapped[Deal] = relationship()
    signatures: Mapped[list[ConfirmationSignature]] = relationship(
        back_populates="confirmation", order_by="ConfirmationSignature.id")


class ConfirmationSignature(SignedAct, db.Model):
    """One party's signature of the confirmation's SHA-256 (trading/signing, kind "deal-confirmation")."""

    __tablename__ = "auction_deal_signatures"
    __table_args__ = (sa.UniqueConstraint("confirmation_id", "party", name="uq_auction_deal_signatures_party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    confirmation_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_deal_confirmations.id"), index=True)
    party: Mapped[Party] = mapped_column(sa.Enum(Party, native_enum=False, length=8))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    confirmation_sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    confirmation: Mapped[Confirmation] = relationship(back_populates="signatures")
    user = relationship("User")
