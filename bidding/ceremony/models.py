"""The opening ceremony in the database: who released a share when, each bid as opened, objections,
the canonical opening record and the supervisors' signatures. Nothing secret is stored here."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.signing.models import SignedAct
from trading.types import Money, UTCDateTime


class CeremonyOutcome(str, enum.Enum):
    OPENED = "opened"
    FAILED = "failed"  # 流标: too few valid bids (Law 28, Reg 44; O87 41-44)
    NOT_OPENED = "not_opened"  # 流标 decided by the decision branch on a stalled opening: bids not opened
    TOO_FEW = "too_few"  # 流标 at the start: fewer bids than the minimum, none decrypted (Law 28, Reg 44)


class EntryStatus(str, enum.Enum):
    """O20 Art 31: a bid that will not decrypt is revoked if the bidder caused it, withdrawn if not."""

    OPENED = "opened"
    REVOKED = "revoked"  # 撤销: the bidder's own fault (sealed to another key, malformed plaintext)
    WITHDRAWN = "withdrawn"  # 撤回: anyone else's fault (the platform lost or damaged the stored envelope)


class OpeningCeremony(db.Model):
    """One trade's opening (不见面开标). Created when the first share is released or the staff start it;
    `started_at` is set only by the start, which the server refuses before the opening time."""

    __tablename__ = "opening_ceremonies"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[CeremonyOutcome | None] = mapped_column(sa.Enum(CeremonyOutcome, native_enum=False, length=16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    #: the opening record as canonical JSON (UTF-8, sorted keys, no white space): hashed as stored
    record: Mapped[str | None] = mapped_column(sa.Text)
    record_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    #: set by the scheduler when the opening ran past CEREMONY_TIMEOUT_MINUTES without the bids being
    #: opened: the held shares were erased and the ceremony takes no more until staff restart it
    timed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trade = relationship("Trade")
    started_by = relationship("User", foreign_keys=[started_by_id])
    releases: Mapped[list[ShareRelease]] = relationship(back_populates="ceremony", order_by="ShareRelease.id",
                                                        cascade="all, delete-orphan")
    entries: Mapped[list[OpeningEntry]] = relationship(back_populates="ceremony", order_by="OpeningEntry.id",
                                                       cascade="all, delete-orphan")
    objections: Mapped[list[Objection]] = relationship(back_populates="ceremony", order_by="Objection.id",
                                                       cascade="all, delete-orphan")
    signatures: Mapped[list[RecordSignature]] = relationship(back_populates="ceremony",
                                                             order_by="RecordSignature.id",
                                                             cascade="all, delete-orphan")

    exits: Mapped[list[CeremonyExit]] = relationship(back_populates="ceremony", order_by="CeremonyExit.id",
                                                     cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.started_at is not None and self.finished_at is None


class ShareRelease(db.Model):
    """A keyholder released their share: who and when, and while the ceremony runs the opened share
    sealed under a key derived from the platform secret (so every worker process can use it);
    `held_share` is emptied when the bids are opened."""

    __tablename__ = "share_releases"
    __table_args__ = (sa.UniqueConstraint("ceremony_id", "keyholder_id", name="uq_share_releases_holder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ceremony_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_ceremonies.id"), index=True)
    keyholder_id: Mapped[int] = mapped_column(sa.ForeignKey("keyholders.id"))
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    held_share: Mapped[bytes | None] = mapped_column(sa.LargeBinary)

    ceremony: Mapped[OpeningCeremony] = relationship(back_populates="releases")
    keyholder = relationship("Keyholder")


class ExitKind(str, enum.Enum):
    """The ways out of a stalled opening (keyholders absent); each erases the held shares."""

    RESTART = "restart"  # executing staff: the ceremony starts over, keyholders release again
    FAIL = "fail"  # decision branch: the trade fails (流标), with a reason
    POSTPONE = "postpone"  # decision branch: back to closed with a new opening time, announced
    TIMEOUT = "timeout"  # the scheduler: CEREMONY_TIMEOUT_MINUTES passed without the bids opened


class CeremonyExit(db.Model):
    """One exit from an opening: who, when, why, how many held shares it erased, and for a
    postponement the old and new opening times."""

    __tablename__ = "ceremony_exits"

    id: Mapped[int] = mapped_column(primary_key=True)
    ceremony_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_ceremonies.id"), index=True)
    kind: Mapped[ExitKind] = mapped_column(sa.Enum(ExitKind, native_enum=False, length=16))
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the scheduler
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    shares_erased: Mapped[int] = mapped_column(default=0)
    old_opening_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_opening_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ceremony: Mapped[OpeningCeremony] = relationship(back_populates="exits")
    actor = relationship("User")


class OpeningEntry(db.Model):
    """One bid as the ceremony opened it: status, price, declared figures, plaintext hash, reason."""

    __tablename__ = "opening_entries"
    __table_args__ = (sa.UniqueConstraint("ceremony_id", "bid_id", name="uq_opening_entries_bid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ceremony_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_ceremonies.id"), index=True)
    bid_id: Mapped[int] = mapped_column(sa.ForeignKey("bids.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    status: Mapped[EntryStatus] = mapped_column(sa.Enum(EntryStatus, native_enum=False, length=16))
    price: Mapped[Decimal | None] = mapped_column(Money)
    #: the form's other fields (duration, quality, ...), strings as the bidder declared them
    figures: Mapped[dict | None] = mapped_column(sa.JSON)
    #: attached files as decoded: [{name, size, sha256}]
    files: Mapped[list | None] = mapped_column(sa.JSON)
    plaintext_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    reason: Mapped[str | None] = mapped_column(sa.Text)

    ceremony: Mapped[OpeningCeremony] = relationship(back_populates="entries")
    bid = relationship("Bid")
    organisation = relationship("Organisation")


class Objection(db.Model):
    """A bidder's objection raised during the opening, and the staff's answer (Reg 44)."""

    __tablename__ = "ceremony_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    ceremony_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_ceremonies.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ceremony: Mapped[OpeningCeremony] = relationship(back_populates="objections")
    organisation = relationship("Organisation")
    user = relationship("User", foreign_keys=[user_id])
    answered_by = relationship("User", foreign_keys=[answered_by_id])


class RecordSignature(SignedAct, db.Model):
    """A supervisor's signature on the opening record (the hash they signed), with any dissent."""

    __tablename__ = "record_signatures"
    __table_args__ = (sa.UniqueConstraint("ceremony_id", "user_id", name="uq_record_signatures_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ceremony_id: Mapped[int] = mapped_column(sa.ForeignKey("opening_ceremonies.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    record_sha256: Mapped[str] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    dissent: Mapped[str | None] = mapped_column(sa.Text)

    ceremony: Mapped[OpeningCeremony] = relationship(back_populates="signatures")
    user = relationship("User")
