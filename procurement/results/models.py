"""Records of a procurement's result: the SME policy of a trade, a supplier's SME declaration, the purchaser's
award decision, and the acceptance of the delivered goods, works or services."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime


class SmePolicy(db.Model):
    """The trade's SME terms as its procurement documents state them: the category, the price deduction
    given to small and micro enterprises' bids (a percentage within the range policy.DEDUCTIONS allows), and
    whether the project is reserved to SMEs (counted in the plan's reserved share)."""

    __tablename__ = "gp_sme_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    category: Mapped[str] = mapped_column(sa.String(16))  # goods | services | works
    deduction: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))  # percent
    reserved: Mapped[bool] = mapped_column(default=False)
    set_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    trade = relationship("Trade")


class SmeDeclaration(db.Model):
    """A supplier's declaration that it is a small or micro enterprise (中小企业声明函, 财库〔2020〕46号 Art. 11),
    made with its bid before the deadline: its fields as data and the text they make, as signed."""

    __tablename__ = "gp_sme_declarations"
    __table_args__ = (sa.UniqueConstraint("trade_id", "organisation_id", name="uq_gp_sme_declarations_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    size: Mapped[str] = mapped_column(sa.String(8))  # small | micro
    industry: Mapped[str] = mapped_column(sa.String(32))
    employees: Mapped[int]
    revenue: Mapped[Decimal] = mapped_column(Money)  # last year's operating revenue, yuan
    text: Mapped[str] = mapped_column(sa.Text)  # the declaration as rendered from its fields (zh-CN)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    declared_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    organisation = relationship("Organisation")


class PurchaserDecision(db.Model):
    """Who fixed the winner (O87 68): the purchaser within its period, or the platform on its silence
    (rank one). The award itself is bidding.award's AwardDecision, made at the same moment."""

    __tablename__ = "gp_purchaser_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("award_decisions.id"))
    by_platform: Mapped[bool] = mapped_column(default=False)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)

    award = relationship("AwardDecision")
    decided_by = relationship("User")


class Acceptance(db.Model):
    """The performance acceptance (履约验收, GPL 41; GPR 45): the purchaser records the delivery, then the
    acceptance with its outcome and report."""

    __tablename__ = "gp_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_note: Mapped[str] = mapped_column(sa.Text)
    delivery_recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passed: Mapped[bool | None] = mapped_column()
    report: Mapped[str | None] = mapped_column(sa.Text)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    trade = relationship("Trade")
