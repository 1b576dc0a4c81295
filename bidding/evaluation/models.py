"""The evaluation committee's seats: who sits on a trade's committee, as what, from when to when.

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
