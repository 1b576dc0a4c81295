"""The live timed bidding round (限时竞价): the round row with its price, leader and countdown, who entered
it, and every bid it received, accepted or refused.

One row per trade in `auction_rounds` holds the state every screen shows (price, leading paddle, the
accepted-bid count, `ends_at`). A bid takes a level by a conditional UPDATE of that row
(`... WHERE accepted_count = <the count the bidder saw>`: the count is the row's version column), so of
two bids for one level exactly one succeeds; the unique (round_id, seq) of the bids is the second lock. Refused bids are rows too, with a
refusal code, so the audit log holds every bid that reached the server.
"""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.extensions import db
from trading.types import Money, UTCDateTime


class RoundState(str, enum.Enum):
    #: registrants with a valid listing quote confirm that they enter (terms.confirm_seconds)
    CONFIRMING = "confirming"
    #: bids are taken; the countdown runs to `ends_at`, restarted by each accepted bid
    OPEN = "open"
    #: over: the highest accepted bid (or, without one, the highest listing quote) is the best offer
    CLOSED = "closed"


class AuctionRound(db.Model):
    """The live round of one trade: its state, the current price and leader, and the countdown's end."""

    __tablename__ = "auction_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    state: Mapped[RoundState] = mapped_column(sa.Enum(RoundState, native_enum=False, length=16))
    #: "listing": entered from a listing by confirmation; "auction": opened at terms.round_at (O39 Art 15)
    kind: Mapped[str] = mapped_column(sa.String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirm_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the countdown's end: each accepted bid moves it to its arrival + countdown_seconds
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: fixed at the start for the whole round (the terms may not change under the bidders)
    increment: Mapped[Decimal] = mapped_column(Money)
    countdown_seconds: Mapped[int] = mapped_column()
    starting_price: Mapped[Decimal] = mapped_column(Money)
    #: the price to beat: the highest listing quote when the round starts, then the last accepted bid
    price: Mapped[Decimal] = mapped_column(Money)
    leader_registration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("auction_registrations.id"))
    leader_paddle: Mapped[int | None] = mapped_column()
    #: accepted live bids so far: the level a bid claims (its seq is accepted_count + 1)
    accepted_count: Mapped[int] = mapped_column(default=0)

    trade = relationship("Trade")
    entrants: Mapped[list[RoundEntrant]] = relationship(back_populates="round", order_by="RoundEntrant.paddle")

    # Every UPDATE of the row, by a flush like any other (so the audit log captures it with the bid's insert),
    # carries `WHERE accepted_count = <the count read>`: the conditional UPDATE by which a bid takes its
    # level, and the tick closes only a round no bid moved. The code sets the count itself (no generator).
    __mapper_args__ = {"version_id_col": accepted_count, "version_id_generator": False}


class RoundEntrant(db.Model):
    """A registrant in the round: confirmed within the window (listing), or qualified (auction)."""

    __tablename__ = "auction_round_entrants"
    __table_args__ = (sa.UniqueConstraint("round_id", "registration_id", name="uq_auction_round_entrants_reg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_rounds.id"), index=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"))
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_registrations.id"))
    paddle: Mapped[int] = mapped_column()
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    round: Mapped[AuctionRound] = relationship(back_populates="entrants")


class LiveBid(db.Model):
    """A bid of the live round as it arrived: accepted (`seq`, the level it took, and the countdown's new
    end) or refused (`refusal`, a code, with the price at that moment). `client_ref` makes a retry
    idempotent: the same bidder's same reference gets the stored answer again."""

    __tablename__ = "auction_live_bids"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "seq", name="uq_auction_live_bids_seq"),
        sa.UniqueConstraint("round_id", "registration_id", "client_ref", name="uq_auction_live_bids_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_rounds.id"), index=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"))
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("auction_registrations.id"))
    paddle: Mapped[int] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(Money)
    client_ref: Mapped[str] = mapped_column(sa.String(64))
    #: the server's clock when the bid arrived: what counts (RULES.md, timed bidding)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seq: Mapped[int | None] = mapped_column()
    refusal: Mapped[str | None] = mapped_column(sa.String(32))
    #: accepted: the round's price after it (its amount); refused: the price the bid did not beat
    price: Mapped[Decimal] = mapped_column(Money)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: not stored: on the answer to a new bid, the lowest valid bid once the writer judged it (None when the
    #: round is not open); Ellipsis (unknown: a stored answer read again) makes the API read the round
    answer_minimum = ...

    @property
    def accepted(self) -> bool:
        return self.seq is not None
