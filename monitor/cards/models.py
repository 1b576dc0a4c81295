"""E-supervision's tables: yellow and red cards and each step of their handling."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.rules.norms import Level
from trading.types import UTCDateTime


class CardState(str, enum.Enum):
    ISSUED = "issued"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self])


STATE_LABELS = {
    CardState.ISSUED: _l("Issued"),
    CardState.ASSIGNED: _l("Assigned"),
    CardState.ANSWERED: _l("Answered"),
    CardState.CLOSED: _l("Closed"),
}


class Card(db.Model):
    """A yellow or red card: one norm of a trade's rule set found broken (or about to be).

    One open card per (trade, norm, subject): `open_key` holds that triple while the card is open
    and NULL once it is closed, under a unique constraint, so two workers ticking at once cannot
    issue the same card twice. Titles are rendered in the reader's language from the norm and
    `params` (see monitor.cards); `source` keeps the citation as it stood when the card was issued.
    """

    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("centres.id"), index=True)
    norm: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(64), default="")
    condition: Mapped[str] = mapped_column(sa.String(32))
    level: Mapped[Level] = mapped_column(sa.Enum(Level, native_enum=False, length=8), index=True)
    state: Mapped[CardState] = mapped_column(sa.Enum(CardState, native_enum=False, length=16),
                                             default=CardState.ISSUED, index=True)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    source: Mapped[str] = mapped_column(sa.String(250))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    open_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    trade = relationship("Trade")
    centre = relationship("Centre")
    assignee = relationship("User")
    events: Mapped[list[CardEvent]] = relationship(back_populates="card", order_by="CardEvent.id",
                                                   cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.state is not CardState.CLOSED

    @property
    def title(self) -> str:
        from monitor.cards.texts import card_title

        return card_title(self)

    @property
    def detail(self) -> str:
        """What was found, for a reader not known to the card: a deposit's company by its pseudonym."""
        return self.detail_for(None)

    def detail_for(self, viewer) -> str:
        """What was found, as `viewer` may read it (the company named only to those who may know it)."""
        from monitor.cards.texts import card_detail

        return card_detail(self, viewer)

    @property
    def citation(self) -> dict:
        from monitor.cards.texts import card_citation

        return card_citation(self)


class CardEvent(db.Model):
    """One step of a card: issued, escalated, assigned, answered, returned, closed, resolved.

    `actor_id` is NULL for the platform's own steps; `audit_seq` is the index of the audit entry
    that records the step, so the card page can link each step to its proof.
    """

    __tablename__ = "card_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("cards.id"), index=True)
    move: Mapped[str] = mapped_column(sa.String(16))
    from_state: Mapped[CardState | None] = mapped_column(sa.Enum(CardState, native_enum=False, length=16))
    to_state: Mapped[CardState] = mapped_column(sa.Enum(CardState, native_enum=False, length=16))
    level: Mapped[Level] = mapped_column(sa.Enum(Level, native_enum=False, length=8))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    audit_seq: Mapped[int | None] = mapped_column()

    card: Mapped[Card] = relationship(back_populates="events")
    actor = relationship("User", foreign_keys=[actor_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
