"""The rounds of draws nobody can steer (any purpose but the social supervisors' own older tables): a round
is fixed (candidates, count), contributions are committed, a beacon checkpoint is signed, the
contributions are revealed, and the round is drawn into a complete order (docs/draws.md)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime


class DrawRound(db.Model):
    """One round of a draw for a trade. `purpose` says what is drawn (e.g. "expert-draw"); `params`
    what the candidates were chosen by (e.g. the specialty). `order` is the whole candidate list in
    draw order: the first `count` are drawn, the rest replace in turn whoever declines or steps aside."""

    __tablename__ = "draw_rounds"
    __table_args__ = (sa.UniqueConstraint("purpose", "trade_id", "round", name="uq_draw_rounds_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(32))
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    round: Mapped[int] = mapped_column()
    trigger: Mapped[str] = mapped_column(sa.String(16))  # manual, redraw
    status: Mapped[str] = mapped_column(sa.String(16), default="fixed")  # fixed, sealed, drawn
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    fixed_entry_seq: Mapped[int] = mapped_column(sa.BigInteger)
    commit_until: Mapped[datetime] = mapped_column(UTCDateTime)
    reveal_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sealed_entry_seq: Mapped[int | None] = mapped_column(sa.BigInteger)
    checkpoint_id: Mapped[int | None] = mapped_column()
    checkpoint_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    checkpoint_root: Mapped[str | None] = mapped_column(sa.String(64))
    seed: Mapped[str | None] = mapped_column(sa.String(64))
    candidates: Mapped[list] = mapped_column(sa.JSON)  # registry ids, ascending, fixed with the round
    count: Mapped[int] = mapped_column()
    order: Mapped[list | None] = mapped_column(sa.JSON)
    selected: Mapped[list] = mapped_column(sa.JSON, default=list)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    entry_seq: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: an unnamed draw's secret (32 random bytes, hex; never logged: monitor.audit SECRET_COLUMNS): it enters
    #: the seed, so that readers of the log who rebuild the candidate list cannot compute who was drawn; its
    #: SHA-256 is logged when the round is fixed, and it is published with the invitees at the opening
    salt: Mapped[str | None] = mapped_column(sa.String(64))

    trade = relationship("Trade")
    contributions: Mapped[list[DrawRoundContribution]] = relationship(
        back_populates="round_row", order_by="DrawRoundContribution.commitment")


class DrawRoundContribution(db.Model):
    """A party's secret contribution to a round's seed: committed before the beacon, revealed after it."""

    __tablename__ = "draw_round_contributions"
    __table_args__ = (sa.UniqueConstraint("round_id", "user_id", name="uq_draw_round_contributions_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("draw_rounds.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    commitment: Mapped[str] = mapped_column(sa.String(64))
    committed_seq: Mapped[int] = mapped_column(sa.BigInteger)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    reveal: Mapped[str | None] = mapped_column(sa.String(64))
    revealed_seq: Mapped[int | None] = mapped_column(sa.BigInteger)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round_row: Mapped[DrawRound] = relationship(back_populates="contributions")
    user = relationship("User")
