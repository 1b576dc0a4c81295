"""Notices, documents, downloads, clarifications and in-app notifications."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trading.clock import now
from trading.extensions import db
from trading.texts import render
from trading.trades.models import Trade
from trading.types import UTCDateTime


class NoticeKind(str, enum.Enum):
    ANNOUNCEMENT = "announcement"  # 招标公告 / 采购公告 / 出让公告 / 信息披露
    CLARIFICATION = "clarification"
    RESULT = "result"
    POSTPONEMENT = "postponement"  # 延期开标公告: a stalled opening moved to a new time
    FAILURE = "failure"  # 流标公告: the trade failed (too few bids, all invalid, a failed opening), with the reason
    CANDIDATES = "candidates"  # 中标候选人公示: the ranked candidates, names and prices (bidding.award)
    COMPLAINT = "complaint"  # 投诉处理决定: the outcome of a complaint (bidding.award)
    CONTRACT = "contract"  # 合同公开: the contract's parties, amount and date (bidding.award)
    PRE_DISCLOSURE = "pre_disclosure"  # 信息预披露: a property transfer that changes control (O32 Art 13)
    REDISCLOSURE = "redisclosure"  # 重新披露 / 延期: a lowered reserve or an extended disclosure (O32 Art 18)


class Notice(db.Model):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(sa.Enum(NoticeKind, native_enum=False, length=16))
    title: Mapped[str] = mapped_column(sa.String(250))
    body: Mapped[str] = mapped_column(sa.Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: {"title": ..., "body": ...} as stored messages (trading.texts), rendered in the reader's language;
    #: NULL for a notice written before (its title and body then show as stored)
    message: Mapped[dict | None] = mapped_column(sa.JSON)

    trade: Mapped[Trade] = relationship()

    @property
    def shown_title(self) -> str:
        return render((self.message or {}).get("title"), self.title)

    @property
    def shown_body(self) -> str:
        return render((self.message or {}).get("body"), self.body)


class Document(db.Model):
    """A tender document: public to download once the notice is out, no registration needed."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    withdrawn: Mapped[bool] = mapped_column(default=False)

    trade: Mapped[Trade] = relationship()


class Download(db.Model):
    """Who took a document: secret from all but the tenderer and executing staff (O20 Art 20-21).

    One row per downloader and document within DOWNLOAD_DEDUP_SECONDS: a signed-in downloader is
    their user, an anonymous one a `fingerprint` (a keyed hash of trade, address and user agent, so
    it names nobody and links nothing across trades)."""

    __tablename__ = "downloads"
    __table_args__ = (sa.Index("ix_downloads_document_fingerprint", "document_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id"), index=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))  # set once the address confirms
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    document: Mapped[Document] = relationship()
    user = relationship("User")
    organisation = relationship("Organisation")


class EmailSubscription(db.Model):
    """An address left at download to be told about the trade's clarifications. It counts only once
    confirmed through the link mailed to it; until then it gets that one mail and nothing else."""

    __tablename__ = "email_subscriptions"
    __table_args__ = (sa.UniqueConstraint("trade_id", "email", name="uq_email_subscriptions_trade_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))  # lower case
    download_id: Mapped[int | None] = mapped_column(sa.ForeignKey("downloads.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the (last) confirmation mail went
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trade: Mapped[Trade] = relationship()
    download: Mapped[Download | None] = relationship()


class Clarification(db.Model):
    """A published clarification or amendment; may move the deadline (Law 23, O87 27)."""

    __tablename__ = "clarifications"
    __table_args__ = (sa.UniqueConstraint("trade_id", "number", name="uq_clarifications_trade_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(250))
    body: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified: Mapped[int] = mapped_column(default=0)

    trade: Mapped[Trade] = relationship()


class Notification(db.Model):
    """A message to a user (in the app) or to an e-mail address left at download."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    trade_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trades.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    subject: Mapped[str] = mapped_column(sa.String(250))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what to render when read: {"subject": ..., "body": ...} (trading.texts), or {"renderer": name, ...}
    #: for a kind whose package registers a renderer (RENDERERS); NULL for rows written before
    message: Mapped[dict | None] = mapped_column(sa.JSON)

    trade: Mapped[Trade | None] = relationship()

    def shown(self) -> tuple[str, str]:
        """(subject, body) in the reader's language; as stored when there is nothing to render from."""
        stored = self.message or {}
        renderer = RENDERERS.get(stored.get("renderer", ""))
        if renderer is not None:
            try:
                return renderer(self, stored)
            except LookupError:  # what it spoke of is gone: the text as written
                return self.subject, self.body
        return render(stored.get("subject"), self.subject), render(stored.get("body"), self.body)

    @property
    def shown_subject(self) -> str:
        return self.shown()[0]

    @property
    def shown_body(self) -> str:
        return self.shown()[1]


#: notification renderers by name, filled by the packages whose notifications need more than a message
RENDERERS: dict = {}
