"""Scoring's records: a trade's scoring plan (method, weights, criteria, parameters), each committee member's
score sheet and its scores, the committee's price adjustments, and the evaluation report with its signatures."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.signing.models import SignedAct
from trading.types import Money, UTCDateTime

Points = sa.Numeric(7, 2)


class ScoringPlan(db.Model):
    """The method the tender documents announced and its numbers: one per trade, fixed before the
    evaluation starts. `params`: the method's parameters as strings of decimals (trim, factor, fence, ...)."""

    __tablename__ = "scoring_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    method: Mapped[str] = mapped_column(sa.String(32))
    subject: Mapped[str] = mapped_column(sa.String(16))  # works | goods | services
    price_weight: Mapped[Decimal | None] = mapped_column(Points)  # points of 100; None for the price method
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    criteria: Mapped[list[ScoringCriterion]] = relationship(back_populates="plan", order_by="ScoringCriterion.position",
                                                             cascade="all, delete-orphan")
    trade = relationship("Trade")

    def param(self, name: str) -> Decimal:
        return Decimal(str(self.params[name]))


class ScoringCriterion(db.Model):
    """A non-price criterion and its maximum points (technical proposal, schedule, ...)."""

    __tablename__ = "scoring_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_plans.id"), index=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"))  # the audit log files the row by it
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(200))
    max_points: Mapped[Decimal] = mapped_column(Points)

    plan: Mapped[ScoringPlan] = relationship(back_populates="criteria")


class ScoreSheet(db.Model):
    """One member's sheet for a trade: a draft until submitted, then locked (only a missing outlier reason
    may still be added)."""

    __tablename__ = "score_sheets"
    __table_args__ = (sa.UniqueConstraint("trade_id", "user_id", name="uq_score_sheets_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    scores: Mapped[list[SheetScore]] = relationship(back_populates="sheet", cascade="all, delete-orphan",
                                                    order_by="SheetScore.id")
    user = relationship("User")


class SheetScore(db.Model):
    """One member's points for one bid on one criterion, with their written reason."""

    __tablename__ = "sheet_scores"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "entry_id", "criterion_id", name="uq_sheet_scores_cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheets.id"), index=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"))  # the audit log files the row by it
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_entries.id"))
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("scoring_criteria.id"))
    points: Mapped[Decimal] = mapped_column(Points)
    reason: Mapped[str | None] = mapped_column(sa.Text)

    sheet: Mapped[ScoreSheet] = relationship(back_populates="scores")


class PriceAdjustment(db.Model):
    """The committee's adjustment of a bid's price for one deviation (lowest evaluated price, Reg 53)."""

    __tablename__ = "price_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_entries.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class EvaluationReport(db.Model):
    """The evaluation report (评标报告): the canonical record of criteria, sheets, totals and ranking, and its
    SHA-256, which each member signs and the supervisors' sign-off binds."""

    __tablename__ = "evaluation_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    record: Mapped[dict] = mapped_column(sa.JSON)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    made_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: when the last member signed (the fact `evaluation_report` of e-supervision)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    signatures: Mapped[list[ReportSignature]] = relationship(back_populates="report", order_by="ReportSignature.id")
    trade = relationship("Trade")


class ReportSignature(SignedAct, db.Model):
    """A committee member's signature on the report's SHA-256, with their dissent if any."""

    __tablename__ = "report_signatures"
    __table_args__ = (sa.UniqueConstraint("report_id", "user_id", name="uq_report_signatures_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation_reports.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    report_sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    dissent: Mapped[str | None] = mapped_column(sa.Text)

    report: Mapped[EvaluationReport] = relationship(back_populates="signatures")
    user = relationship("User")
