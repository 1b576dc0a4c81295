"""Invitees of an invitation tender, requests to change a failed tender's method, and budget releases."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime

#: the purpose of the invitee draw in trading.draws (it enters the seed; its audit entries are "invitees.*")
PURPOSE = "invitee-draw"


class InviteeSource(str, enum.Enum):
    LIST = "list"  # the purchaser's own published list (采购人书面推荐)
    DRAW = "draw"  # drawn at random from the qualified suppliers (trading.draws)


class Invitee(db.Model):
    """A supplier invited to bid in an invitation tender (GPL 34): only invitees may bid."""

    __tablename__ = "procurement_invitees"
    __table_args__ = (sa.UniqueConstraint("trade_id", "organisation_id", name="uq_procurement_invitees_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    source: Mapped[InviteeSource] = mapped_column(sa.Enum(InviteeSource, native_enum=False, length=8))
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("draw_rounds.id"))
    position: Mapped[int] = mapped_column(default=0)  # in the list, or in the draw's order
    reason: Mapped[str] = mapped_column(sa.Text, default="")  # why the list (the purchaser's recommendation)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    organisation = relationship("Organisation", lazy="joined")


class ChangeStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class MethodChange(db.Model):
    """A request to procure by another method after a tender failed for too few suppliers (GPL 36; O87 43;
    O74 27), and the decision branch's decision on it. An approval makes the follow-on draft."""

    __tablename__ = "procurement_method_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    from_method: Mapped[str] = mapped_column(sa.String(40))
    to_method: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    status: Mapped[ChangeStatus] = mapped_column(sa.Enum(ChangeStatus, native_enum=False, length=16),
                                                 default=ChangeStatus.PENDING)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_on_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trades.id"))

    trade = relationship("Trade", foreign_keys=[trade_id])
    follow_on = relationship("Trade", foreign_keys=[follow_on_id])
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class BudgetRelease(db.Model):
    """A failed or cancelled trade's draw given back to its budget line (once per trade)."""

    __tablename__ = "budget_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_draws.id"))
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_lines.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    move: Mapped[str] = mapped_column(sa.String(32))  # the move that ended the trade: fail, cancel...
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
