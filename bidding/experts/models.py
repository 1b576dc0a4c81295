"""The expert pool (专家库) and the experts drawn for a trade: registry entries with specialties, region,
organisation, availability and sanctions; a trade's committee plan; the seats the draw filled.

Every row is captured by the audit log; the draws themselves are rounds of trading.draws.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime

PURPOSE = "expert-draw"


class SanctionKind(str, enum.Enum):
    WARNING = "warning"  # recorded, does not keep the expert from being drawn
    SUSPENSION = "suspension"  # not drawn from its first day to its last
    DISQUALIFICATION = "disqualification"  # not drawn from its first day on (ends_on empty: for good)

    @property
    def label(self) -> str:
        return str(SANCTION_LABELS[self])

    @property
    def excludes(self) -> bool:
        return self is not SanctionKind.WARNING


SANCTION_LABELS = {
    SanctionKind.WARNING: _l("Warning"),
    SanctionKind.SUSPENSION: _l("Suspension"),
    SanctionKind.DISQUALIFICATION: _l("Disqualification"),
}


class SeatStatus(str, enum.Enum):
    NOTIFIED = "notified"  # drawn, asked to confirm
    CONFIRMED = "confirmed"
    DECLINED = "declined"  # the expert cannot sit (replaced by the next of the order)
    RECUSED = "recused"  # set aside for a conflict, declared or decided (replaced)
    INELIGIBLE = "ineligible"  # drawn but excluded when the draw ran (replaced at once)

    @property
    def label(self) -> str:
        return str(SEAT_LABELS[self])

    @property
    def sits(self) -> bool:
        return self in (SeatStatus.NOTIFIED, SeatStatus.CONFIRMED)


SEAT_LABELS = {
    SeatStatus.NOTIFIED: _l("Awaiting confirmation"),
    SeatStatus.CONFIRMED: _l("Confirmed"),
    SeatStatus.DECLINED: _l("Declined"),
    SeatStatus.RECUSED: _l("Stepped aside"),
    SeatStatus.INELIGIBLE: _l("Excluded when drawn"),
}


class Expert(db.Model):
    """One expert of the pool: the person (an account with the expert role), where they work, where they
    live and what they know (specialty codes of bidding/experts/specialties.json)."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    employer: Mapped[str] = mapped_column(sa.String(200))  # as the expert states it
    region: Mapped[str] = mapped_column(sa.String(64), index=True)
    specialties: Mapped[list] = mapped_column(sa.JSON)  # codes, ascending
    title: Mapped[str] = mapped_column(sa.String(100), default="")  # professional title (职称)
    active: Mapped[bool] = mapped_column(default=True)
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")
    organisation = relationship("Organisation")
    sanctions: Mapped[list[ExpertSanction]] = relationship(back_populates="expert", order_by="ExpertSanction.id")
    absences: Mapped[list[ExpertAbsence]] = relationship(back_populates="expert", order_by="ExpertAbsence.id")


class ExpertSanction(db.Model):
    """A sanction decided by the supervising side (Reg 46, 七部委12号令), with its dates (inclusive)."""

    __tablename__ = "expert_sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id"), index=True)
    kind: Mapped[SanctionKind] = mapped_column(sa.Enum(SanctionKind, native_enum=False, length=20))
    reason: Mapped[str] = mapped_column(sa.Text)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    expert: Mapped[Expert] = relationship(back_populates="sanctions")

    def covers(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class ExpertAbsence(db.Model):
    """Days (inclusive) the expert said they cannot sit: not drawn for a trade evaluated then."""

    __tablename__ = "expert_absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id"), index=True)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    expert: Mapped[Expert] = relationship(back_populates="absences")


class CommitteePlan(db.Model):
    """How a trade's evaluation committee is made up: the tenderer's representatives and, per specialty,
    how many experts are drawn; checked against the rule set when it is set."""

    __tablename__ = "expert_committee_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    representatives: Mapped[int] = mapped_column(default=0)
    complex: Mapped[bool] = mapped_column(default=False)  # technically complex: the larger committee applies
    lines: Mapped[list] = mapped_column(sa.JSON)  # [{"specialty": code, "count": n}]
    region: Mapped[str | None] = mapped_column(sa.String(64))  # draw only from this region (empty: any)
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    @property
    def experts(self) -> int:
        return sum(int(line["count"]) for line in self.lines)

    @property
    def size(self) -> int:
        return self.experts + self.representatives


class ExpertSeat(db.Model):
    """An expert drawn for a trade: the round and position of the order that named them, the specialty
    they were drawn for, whether they confirmed, declined or stepped aside."""

    __tablename__ = "expert_seats"
    #: each position of a round's order names one seat; an expert drawn in two rounds of a trade (two
    #: specialties) holds the second seat for no time (excluded as drawn already) and is replaced
    __table_args__ = (sa.UniqueConstraint("round_id", "position", name="uq_expert_seats_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("draw_rounds.id"))
    position: Mapped[int] = mapped_column()
    specialty: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[SeatStatus] = mapped_column(sa.Enum(SeatStatus, native_enum=False, length=16),
                                               default=SeatStatus.NOTIFIED)
    entry_seq: Mapped[int] = mapped_column(sa.BigInteger)  # the draw or replacement entry that named them
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    recusal_entry_seq: Mapped[int | None] = mapped_column(sa.BigInteger)

    expert: Mapped[Expert] = relationship(lazy="joined")
    round_row = relationship("DrawRound")
