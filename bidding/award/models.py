"""From the ranking to the contract: published candidates, objections, complaints, the award, its
letters and the contract (Law 45-47; Reg 54-61)."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import Money, UTCDateTime

MAX_TEXT = 4000


class CandidateList(db.Model):
    """One publication of the candidates (中标候选人公示): up to the rule set's number, in rank order,
    public from `published_at` until at least `publicity_ends` (the first instant after the period)."""

    __tablename__ = "award_candidate_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    publicity_ends: Mapped[datetime] = mapped_column(UTCDateTime)
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notices.id"))
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    trade = relationship("Trade")
    candidates: Mapped[list[Candidate]] = relationship(back_populates="list", order_by="Candidate.rank",
                                                       cascade="all, delete-orphan")


class Candidate(db.Model):
    """A ranked candidate as published: the company and its opened price, nothing else."""

    __tablename__ = "award_candidates"
    __table_args__ = (sa.UniqueConstraint("list_id", "rank", name="uq_award_candidates_rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("award_candidate_lists.id", ondelete="CASCADE"), index=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    rank: Mapped[int] = mapped_column()
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    #: none for a candidate no sealed bid made: a single source's supplier at its negotiated price
    #: (procurement.direct)
    bid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bids.id"))
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("opening_entries.id"))
    price: Mapped[Decimal] = mapped_column(Money)
    evaluated_price: Mapped[Decimal | None] = mapped_column(Money)
    total: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))

    list: Mapped[CandidateList] = relationship(back_populates="candidates")
    organisation = relationship("Organisation")


class CandidateObjection(db.Model):
    """An objection (异议) to the candidates during their publicity, by a bidder or another interested
    party, answered by the tenderer within the rule set's days (Reg 54); the trade waits meanwhile."""

    __tablename__ = "award_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("award_candidate_lists.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    standing: Mapped[str] = mapped_column(sa.String(16))  # bidder | interested
    text: Mapped[str] = mapped_column(sa.Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    answer_due: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    upheld: Mapped[bool | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    trade = relationship("Trade")
    user = relationship("User", foreign_keys=[user_id])
    organisation = relationship("Organisation")

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class ComplaintState(str, enum.Enum):
    FILED = "filed"
    ACCEPTED = "accepted"
    REFUSED = "refused"  # not accepted (不予受理), with the reason
    RULED = "ruled"


class Complaint(db.Model):
    """A complaint (投诉) to the administrative supervisors (Reg 60-61): filed within the days of
    knowing, accepted or refused within working days, ruled within working days, the outcome published.
    While a supervisor reviews it, they may read the kept bid documents (bidding.custody.ComplaintReview)."""

    __tablename__ = "award_complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    ref: Mapped[str] = mapped_column(sa.String(40), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    about: Mapped[str] = mapped_column(sa.String(16), default="procedure")  # candidates | procedure
    text: Mapped[str] = mapped_column(sa.Text)
    knew_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[ComplaintState] = mapped_column(sa.Enum(ComplaintState, native_enum=False, length=16),
                                                  default=ComplaintState.FILED)
    acceptance_due: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # accepted or refused
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    refusal: Mapped[str | None] = mapped_column(sa.Text)
    ruling_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ruled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    upheld: Mapped[bool | None] = mapped_column()
    ruling: Mapped[str | None] = mapped_column(sa.Text)
    review_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaint_reviews.id"))
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notices.id"))

    trade = relationship("Trade")
    user = relationship("User", foreign_keys=[user_id])
    organisation = relationship("Organisation")
    review = relationship("ComplaintReview")


class DisqualifyReason(str, enum.Enum):
    """Why a higher-ranked candidate does not win (Reg 55)."""

    GAVE_UP = "gave_up"  # 放弃中标
    FAILED_TO_PERFORM = "failed_to_perform"  # 因不可抗力不能履行合同
    BOND_NOT_PAID = "bond_not_paid"  # 不按照招标文件要求提交履约保证金
    VIOLATION = "violation"  # 被查实存在影响中标结果的违法行为


class AwardDecision(db.Model):
    """The award (定标): the winner, its price, when."""

    __tablename__ = "award_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("award_candidate_lists.id"))
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("award_candidates.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    price: Mapped[Decimal] = mapped_column(Money)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the platform
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why not rank 1, where the rules allow a choice

    trade = relationship("Trade")
    candidate: Mapped[Candidate] = relationship()
    organisation = relationship("Organisation")


class AwardReport(db.Model):
    """The tenderer's written report of the award to the supervising department (Law 47): for every
    awarded trade, whether its award was made here or on paper."""

    __tablename__ = "award_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    text: Mapped[str] = mapped_column(sa.Text)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    trade = relationship("Trade")


class Disqualification(db.Model):
    """A candidate passed over, with its recorded reason (Reg 55)."""

    __tablename__ = "award_disqualifications"
    __table_args__ = (sa.UniqueConstraint("candidate_id", name="uq_award_disqualifications_candidate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("award_candidates.id"))
    reason: Mapped[DisqualifyReason] = mapped_column(sa.Enum(DisqualifyReason, native_enum=False, length=24))
    note: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    candidate: Mapped[Candidate] = relationship()


class LetterKind(str, enum.Enum):
    AWARD = "award"  # 中标通知书
    RESULT = "result"  # 中标结果通知书 (to the others)


class AwardLetter(db.Model):
    """A letter issued at the award to one bidder: the award notice to the winner, a result notice to
    each other bidder (Law 45). Rendered as a PDF in the reader's language when downloaded."""

    __tablename__ = "award_letters"
    __table_args__ = (sa.UniqueConstraint("trade_id", "organisation_id", name="uq_award_letters_org"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    kind: Mapped[LetterKind] = mapped_column(sa.Enum(LetterKind, native_enum=False, length=16))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trade = relationship("Trade")
    organisation = relationship("Organisation")


class Contract(db.Model):
    """The contract (合同) as recorded: amount, performance bond, the signed document (its blob and
    SHA-256), when it was signed and published (Law 46; Reg 57-58)."""

    __tablename__ = "award_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    performance_bond: Mapped[Decimal] = mapped_column(Money)
    signed_on: Mapped[datetime] = mapped_column(UTCDateTime)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notices.id"))

    trade = relationship("Trade")
    organisation = relationship("Organisation")
