"""Collusion signals in the database: what each bid's upload saw, the documents' metadata read at the
opening, the screenings run, the flags they raised and what the committee did with each.

Nothing here is shown before the opening: a sighting says where a bid came from, which is as secret as
who bid (bidding.collusion.permissions)."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.types import UTCDateTime

#: the longest user agent kept (longer ones are cut)
MAX_USER_AGENT = 512
#: the longest device id a sealer may send (a UUID is 36)
MAX_DEVICE_ID = 64
#: the longest decision note
MAX_NOTE = 4000


class BidSighting(db.Model):
    """What the platform saw when a bid's envelope arrived: the network address, the user agent and the
    sealer's device id (the `X-Sealer-Device` header the browser and the offline sealer send)."""

    __tablename__ = "bid_sightings"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"), unique=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(MAX_USER_AGENT))
    device_id: Mapped[str | None] = mapped_column(sa.String(MAX_DEVICE_ID))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class DocumentMetadata(db.Model):
    """The metadata of one kept bid document (PDF Info/XMP, an office file's docProps/core.xml), read
    once at the opening so that later screenings need not decrypt the document again."""

    __tablename__ = "bid_document_metadata"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("kept_documents.id"), unique=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # pdf | office | other
    author: Mapped[str | None] = mapped_column(sa.String(256))
    last_modified_by: Mapped[str | None] = mapped_column(sa.String(256))
    creator_tool: Mapped[str | None] = mapped_column(sa.String(256))
    created: Mapped[str | None] = mapped_column(sa.String(64))  # as the file states it, normalised to ISO


class Screening(db.Model):
    """One run of the screens over a trade's opened bids: at the opening, or asked for during evaluation."""

    __tablename__ = "collusion_screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    trigger: Mapped[str] = mapped_column(sa.String(16))  # opening | request | demo
    bids: Mapped[int]
    flags: Mapped[int]


class FlagDecision(str, enum.Enum):
    """What the committee did with a flag. None of these disqualifies a bid: a finding does, in review."""

    DISMISSED = "dismissed"
    REFERRED = "referred"  # referred to the supervisors
    USED_IN_REVIEW = "used_in_review"


class CollusionFlag(db.Model):
    """One signal between named bidders, explaining itself: the rule, the clause it serves, what matched
    and the numbers. `key` identifies the same finding across screenings (its decisions stay with it)."""

    __tablename__ = "collusion_flags"
    __table_args__ = (sa.UniqueConstraint("trade_id", "key", name="uq_collusion_flags_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    rule: Mapped[str] = mapped_column(sa.String(32))
    clause: Mapped[str] = mapped_column(sa.String(32))
    key: Mapped[str] = mapped_column(sa.String(255))
    #: the organisations the finding names, sorted
    organisation_ids: Mapped[list] = mapped_column(sa.JSON)
    #: what matched and the numbers, as plain values (strings for decimals)
    evidence: Mapped[dict] = mapped_column(sa.JSON)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    #: False once a later screening no longer finds it (its history stays)
    current: Mapped[bool] = mapped_column(default=True)

    decisions: Mapped[list[FlagReview]] = relationship(back_populates="flag", order_by="FlagReview.id",
                                                       cascade="all, delete-orphan")

    @property
    def decision(self) -> FlagReview | None:
        return self.decisions[-1] if self.decisions else None


class FlagReview(db.Model):
    """A committee member recorded what the committee did with a flag (the latest one stands; all are kept)."""

    __tablename__ = "collusion_flag_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(sa.ForeignKey("collusion_flags.id"), index=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    decision: Mapped[FlagDecision] = mapped_column(sa.Enum(FlagDecision, native_enum=False, length=16))
    note: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    flag: Mapped[CollusionFlag] = relationship(back_populates="decisions")
    user = relationship("User")
