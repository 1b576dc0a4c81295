"""A supplier's question, challenge or complaint on a procurement trade, its answer and any suspension it made."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime

MAX_TEXT = 4000


class FilingKind(str, enum.Enum):
    QUESTION = "question"  # 询问 (GPL 51): any supplier; answered in 3 working days
    CHALLENGE = "challenge"  # 质疑 (GPL 52): a supplier whose rights are harmed, in writing, in 7 working days
    COMPLAINT = "complaint"  # 投诉 (GPL 55): a challenger, to the finance department, in 15 working days

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {FilingKind.QUESTION: _l("Question"), FilingKind.CHALLENGE: _l("Challenge"),
               FilingKind.COMPLAINT: _l("Complaint")}


class About(str, enum.Enum):
    """What a challenge is about: it fixes when the supplier knew (GPR 53)."""

    DOCUMENTS = "documents"
    PROCESS = "process"
    RESULT = "result"

    @property
    def label(self) -> str:
        return str(ABOUT_LABELS[self])


ABOUT_LABELS = {About.DOCUMENTS: _l("the procurement documents"), About.PROCESS: _l("a step of the procurement process"),
                About.RESULT: _l("the procurement result")}


class Outcome(str, enum.Enum):
    UPHELD = "upheld"  # 成立
    DISMISSED = "dismissed"  # 不成立 / 驳回

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {Outcome.UPHELD: _l("Upheld"), Outcome.DISMISSED: _l("Dismissed")}


class Filing(db.Model):
    """One question, challenge or complaint: who filed it (secret from the public, and from all but the
    purchaser and the executing staff until the opening names its company), the window it met, the answer
    due, the answer (published at once), and the suspension it made, if any."""

    __tablename__ = "procurement_filings"
    __table_args__ = (sa.UniqueConstraint("trade_id", "ref", name="uq_procurement_filings_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    ref: Mapped[str] = mapped_column(sa.String(48))
    kind: Mapped[FilingKind] = mapped_column(sa.Enum(FilingKind, native_enum=False, length=16))
    about: Mapped[About | None] = mapped_column(sa.Enum(About, native_enum=False, length=16))
    step: Mapped[str | None] = mapped_column(sa.String(32))
    #: a complaint's challenge (a complaint stays within what was challenged: MOF Order 94 Art. 20)
    challenge_id: Mapped[int | None] = mapped_column(sa.ForeignKey("procurement_filings.id"), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: when the filer knew (the window's start) and the first instant past its window, as checked at filing
    knew_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_ends: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_due: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[Outcome | None] = mapped_column(sa.Enum(Outcome, native_enum=False, length=16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspension_lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trade = relationship("Trade")
    organisation = relationship("Organisation")
    challenge: Mapped[Filing | None] = relationship(remote_side=[id], foreign_keys=[challenge_id])

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def suspending(self) -> bool:
        return self.suspended_at is not None and self.suspension_lifted_at is None
