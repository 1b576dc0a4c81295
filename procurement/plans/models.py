"""A purchaser's annual procurement plan, its budget lines, the draws trades make, and method approvals."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime


class ProcurementPlan(db.Model):
    """采购计划: one per purchaser, centre and budget year."""

    __tablename__ = "procurement_plans"
    __table_args__ = (sa.UniqueConstraint("purchaser_id", "centre_id", "year", name="uq_procurement_plans_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purchaser_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"), index=True)
    year: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    purchaser = relationship("Organisation", lazy="joined")
    centre = relationship("Centre", lazy="joined")
    lines: Mapped[list[BudgetLine]] = relationship(back_populates="plan", order_by="BudgetLine.id")

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def left(self) -> Decimal:
        return sum((line.left for line in self.lines), Decimal("0.00"))


class BudgetLine(db.Model):
    """A budget line: fund source, category, amount, and what trades have drawn on it. `drawn` changes
    only by a conditional UPDATE (amount - drawn >= the draw), so two draws cannot overdraw it."""

    __tablename__ = "budget_lines"
    __table_args__ = (sa.CheckConstraint("drawn >= 0 AND drawn <= amount", name="drawn_within_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("procurement_plans.id"), index=True)
    fund_source: Mapped[str] = mapped_column(sa.String(32))
    category_code: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.String(200))
    amount: Mapped[Decimal] = mapped_column(Money)
    drawn: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    plan: Mapped[ProcurementPlan] = relationship(back_populates="lines")
    draws: Mapped[list[BudgetDraw]] = relationship(back_populates="line", order_by="BudgetDraw.id")

    @property
    def left(self) -> Decimal:
        return self.amount - self.drawn


class BudgetDraw(db.Model):
    """A procurement trade's draw on a budget line: the project's budget (one draw per trade)."""

    __tablename__ = "budget_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("budget_lines.id"), index=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    drawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    line: Mapped[BudgetLine] = relationship(back_populates="draws")
    trade = relationship("Trade")


class MethodApproval(db.Model):
    """The decision branch's approval of a method other than open tender above the threshold (GPL 27)."""

    __tablename__ = "method_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    method: Mapped[str] = mapped_column(sa.String(40))
    reason: Mapped[str] = mapped_column(sa.Text)
    approved_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    trade = relationship("Trade")
    approved_by = relationship("User")
