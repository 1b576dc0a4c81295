"""The Trade record, its history of moves, and the people acting on it in each branch."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from trading.accounts.roles import Branch
from trading.clock import now
from trading.extensions import db
from trading.trades.flows import FLOWS, Flow, TradeState
from trading.types import Money, UTCDateTime

if TYPE_CHECKING:
    from trading.accounts.models import Organisation, User
    from trading.centres.models import Centre
    from trading.rules.model import RuleSet

MILESTONES = ("issue_at", "docs_until", "bid_deadline", "opening_at", "listing_from")


class Trade(db.Model):
    __tablename__ = "trades"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(32), unique=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"), index=True)
    method: Mapped[str] = mapped_column(sa.String(40), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    tenderer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    estimated_price: Mapped[Decimal] = mapped_column(Money)
    bid_security: Mapped[Decimal | None] = mapped_column(Money)
    state: Mapped[TradeState] = mapped_column(
        sa.Enum(TradeState, native_enum=False, length=20), default=TradeState.DRAFT, index=True
    )
    suspended_from: Mapped[TradeState | None] = mapped_column(sa.Enum(TradeState, native_enum=False, length=20))
    sandbox: Mapped[bool] = mapped_column(default=False)
    accelerator: Mapped[int] = mapped_column(default=1)
    #: a tender that takes its bids on paper at the opening: no electronic bids, so no keyholders and no
    #: opening key (a method that takes sealed bids otherwise needs them before approval)
    paper_bids: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    issue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    docs_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bid_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    opening_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    listing_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    version: Mapped[int] = mapped_column(default=1)
    #: the failed trade this one tenders again (trading.trades.retender); at most one re-tender each
    retender_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trades.id"), unique=True)

    __mapper_args__ = {"version_id_col": version}

    centre: Mapped[Centre] = relationship(lazy="joined")
    tenderer: Mapped[Organisation] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    retender_of: Mapped[Trade | None] = relationship(remote_side=[id], foreign_keys=[retender_of_id],
                                                     backref=backref("retendered_as", uselist=False))
    history: Mapped[list[TradeTransition]] = relationship(
        back_populates="trade", order_by="TradeTransition.id", cascade="all, delete-orphan"
    )
    participants: Mapped[list[TradeParticipant]] = relationship(
        back_populates="trade", cascade="all, delete-orphan"
    )

    @property
    def rule_set(self) -> RuleSet:
        from trading.rules.model import registry

        return registry.get(self.method)

    @property
    def flow(self) -> Flow:
        return FLOWS[self.rule_set.flow]

    def milestone(self, name: str) -> datetime | None:
        return getattr(self, name) if name in MILESTONES else None

    @property
    def is_public(self) -> bool:
        return self.state.public and self.published_at is not None

    @property
    def takes_electronic_bids(self) -> bool:
        """Its method takes sealed bids, it does not take them on paper, and the layers above agree
        (bidding: it has an opening key). Only then does a page offer the bid button."""
        return (self.rule_set.takes_sealed_bids and not self.paper_bids
                and bool(ELECTRONIC_BID_CHECKS) and all(check(self) for check in ELECTRONIC_BID_CHECKS))


#: checks the layers above register: can this trade take an electronic bid at all (bidding: an opening key)
ELECTRONIC_BID_CHECKS: list = []


class TradeTransition(db.Model):
    """One move in a trade's life: the timeline the public sees and the signal's record."""

    __tablename__ = "trade_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id", ondelete="CASCADE"), index=True)
    move: Mapped[str] = mapped_column(sa.String(32))
    from_state: Mapped[TradeState] = mapped_column(sa.Enum(TradeState, native_enum=False, length=20))
    to_state: Mapped[TradeState] = mapped_column(sa.Enum(TradeState, native_enum=False, length=20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(sa.String(32))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    trade: Mapped[Trade] = relationship(back_populates="history")
    actor: Mapped[User | None] = relationship()


class TradeParticipant(db.Model):
    """A person acting on a trade for a branch; the separation-of-duties policy reads these."""

    __tablename__ = "trade_participants"
    __table_args__ = (sa.UniqueConstraint("trade_id", "user_id", "duty", name="uq_trade_participants_duty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    branch: Mapped[Branch] = mapped_column(sa.Enum(Branch, native_enum=False, length=16))
    duty: Mapped[str] = mapped_column(sa.String(32))  # decider, executor, supervisor, keyholder, expert
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    trade: Mapped[Trade] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()
