"""The evaluation committee's seats, its compliance and qualification review (marks per bid and criterion,
the closure) and its clarification questions to bidders; who sits on a trade's committee, as what, when.

The expert draw (issue 10 item 2) fills these seats through services.seat_member; the custody of the
opened bids reads them (a sitting member may read the bid documents while the committee sits)."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class SeatKind(str, enum.Enum):
    EXPERT = "expert"  # 评标专家, drawn from the pool
    TENDERER_REP = "tenderer_rep"  # 招标人代表 (Law 37: counted in the committee, experts ≥ 2/3)


class CommitteeSeat(db.Model):
    """One member of a trade's evaluation committee; `left_at` set when they stepped aside or were
    replaced (a recusal, a decline): the seat then grants nothing."""

    __tablename__ = "committee_seats"
    __table_args__ = (sa.UniqueConstraint("trade_id", "user_id", name="uq_committee_seats_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[SeatKind] = mapped_column(sa.Enum(SeatKind, native_enum=False, length=16))
    seated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    seated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_reason: Mapped[str | None] = mapped_column(sa.Text)

    trade = relationship("Trade")
    user = relationship("User", foreign_keys=[user_id])


# ---- the compliance and qualification review (符合性审查, 资格审查) ---------------------------------------

class ReviewStage(str, enum.Enum):
    QUALIFICATION = "qualification"  # 资格审查: is the bidder fit to bid (Law 26; Reg 51 (3))
    COMPLIANCE = "compliance"  # 符合性审查: does the bid answer the tender documents (Reg 51 (1), (5), (6))


class Decision(str, enum.Enum):
    """How the committee concludes on a criterion from its members' marks."""

    MAJORITY = "majority"  # more members one way than the other (a tie stays open)
    UNANIMITY = "unanimity"  # every member the same way (a split stays open until someone reconsiders)


class ReviewCriterion(db.Model):
    """A criterion the trade's tender documents add to the rule set's default list (criteria.json):
    entered by the executing staff before the first mark, citing the clause of the tender documents."""

    __tablename__ = "review_criteria"
    __table_args__ = (sa.UniqueConstraint("trade_id", "code", name="uq_review_criteria_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(16))
    stage: Mapped[ReviewStage] = mapped_column(sa.Enum(ReviewStage, native_enum=False, length=16))
    title: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.Text)  # the clause of the tender documents
    decision: Mapped[Decision] = mapped_column(sa.Enum(Decision, native_enum=False, length=16))
    added_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ReviewMark(db.Model):
    """One sitting member's pass or fail of one opened bid on one criterion, with the reason (a fail
    always has one). A member may change their mark until the review is closed; each change is an
    audit entry (the row is captured)."""

    __tablename__ = "review_marks"
    __table_args__ = (sa.UniqueConstraint("entry_id", "criterion", "member_id", name="uq_review_marks_cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_entries.id"), index=True)
    criterion: Mapped[str] = mapped_column(sa.String(16))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    passed: Mapped[bool] = mapped_column()
    reason: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    member = relationship("User")


class ReviewClosure(db.Model):
    """The committee closed the review: every sitting member marked every cell and every criterion has
    its conclusion. `outcome` keeps the conclusions as they stood ({entry_id: [{criterion, result,
    reasons, dissent}]}); from then the marks are fixed and the failed bids stay out of the scoring."""

    __tablename__ = "review_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    closed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    outcome: Mapped[dict] = mapped_column(sa.JSON)


# ---- clarifications (澄清, Law 39; Reg 52) ----------------------------------------------------------------

class BidClarification(db.Model):
    """The committee's written question to one bidder about its opened bid, with a deadline, and the
    bidder's written answer. The answer may not go beyond the bid or change its substance (Law 39;
    Reg 52): it has no price, and a committee member who finds it changes the price or substance
    refuses it with the reason (`refused_*`), which the review then disregards."""

    __tablename__ = "bid_clarifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_entries.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    question: Mapped[str] = mapped_column(sa.Text)
    asked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refused_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refused_reason: Mapped[str | None] = mapped_column(sa.Text)

    organisation = relationship("Organisation")
    entry = relationship("OpeningEntry")

    @property
    def status(self) -> str:
        """open (awaiting the answer), answered, refused (the committee refused the answer), lapsed
        (the deadline passed unanswered)."""
        if self.refused_at is not None:
            return "refused"
        if self.answered_at is not None:
            return "answered"
        return "lapsed" if now() > self.deadline else "open"
