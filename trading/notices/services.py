"""Publishing notices, storing and serving documents, recording downloads, clarifications."""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_datetime, gettext as _

from trading.accounts import policy
from trading.blobs import BlobRefused, blob_store
from trading.clock import now
from trading.errors import InvalidInput, NotAllowed
from trading.extensions import db
from trading.mail import services as outbox
from trading.numbering import services as numbering
from trading.notices import subscriptions
from trading.notices.models import Clarification, Document, Download, Notice, NoticeKind, Notification
from trading.permissions import require
from trading.rules.days import at_local_time, load_calendar, local_date
from trading.rules.model import Unit
from trading.signals import clarification_published, document_downloaded, document_uploaded, sensitive_read
from trading.trades.models import Trade
from trading.trades.services import after_move

ALLOWED_TYPES = {
    "application/pdf", "application/zip", "application/msword", "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel", "application/octet-stream",
}
SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff ()（）]+")


def announcement_text(trade: Trade) -> str:
    """The notice as published: a fixed legal text, always in the platform's official language
    (Chinese), whatever language the publishing clerk's screen was in."""
    from trading.rules.model import milestone_label

    with force_locale("zh_CN"):
        lines = [trade.description or "", ""]
        for name in trade.rule_set.milestones:
            value = trade.milestone(name)
            lines.append(f"{milestone_label(name)}：{format_datetime(value, 'yyyy-MM-dd HH:mm') if value else '—'}")
    return "\n".join(lines).strip()


@after_move("publish")
def publish_notice(trade: Trade, actor, record) -> Notice:
    """Publishing a trade publishes its announcement (the notice the portal shows)."""
    trade.published_at = record.at
    notice = Notice(trade=trade, kind=NoticeKind.ANNOUNCEMENT, title=trade.title,
                    body=announcement_text(trade), published_at=record.at)
    db.session.add(notice)
    db.session.flush()
    return notice


def publish_failure_notice(trade: Trade, actor, record) -> Notice:
    """A trade that fails (流标) says so in public with the reason the move carried (Law 28, Reg 44:
    too few bids; Law 42: every bid rejected; a failed opening), in the platform's official language."""
    with force_locale("zh_CN"):
        title = _("Failed trade (流标): %(title)s", title=trade.title)
        body = _("Trade %(ref)s failed on %(when)s.\nReason: %(reason)s", ref=trade.ref,
                 when=format_datetime(record.at, "yyyy-MM-dd HH:mm"), reason=record.reason or "—")
    notice = Notice(trade=trade, kind=NoticeKind.FAILURE, title=title[:250], body=body, published_at=record.at)
    db.session.add(notice)
    db.session.flush()
    return notice


for _failing_move in ("fail", "fail_opening"):
    after_move(_failing_move)(publish_failure_notice)


def upload_document(actor, trade: Trade, filename: str, content_type: str, stream: BinaryIO) -> Document:
    require("trade.documents.manage", trade, user=actor)
    name = SAFE_NAME.sub("_", (filename or "").strip()).strip("._ ")[:200]
    if not name:
        raise InvalidInput({"file": [_("the file needs a name")]})
    content_type = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput({"file": [_("file type %(t)s is not accepted (PDF, Word, Excel, ZIP, text)",
                                       t=content_type)]})
    try:
        digest, size = blob_store().put(stream, max_size=current_app.config["MAX_CONTENT_LENGTH"], min_size=1)
    except BlobRefused as exc:
        if exc.reason == "empty":
            raise InvalidInput({"file": [_("the file is empty")]}) from None
        raise InvalidInput({"file": [_("the file is larger than the platform accepts")]}) from None
    doc = Document(trade=trade, filename=name, content_type=content_type, size=size, sha256=digest,
                   uploaded_by_id=actor.id, uploaded_at=now())
    db.session.add(doc)
    db.session.flush()
    document_uploaded.send(trade, document=doc, actor=actor)
    return doc


def stored_documents() -> list[str]:
    """Digests of the blobs documents refer to (the blob sweep spares them)."""
    return list(db.session.scalars(sa.select(Document.sha256).distinct()))


def downloadable(trade: Trade) -> bool:
    return trade.is_public and trade.issue_at is not None and trade.issue_at <= now()


def downloader_fingerprint(trade: Trade, address: str | None, user_agent: str | None) -> str:
    """Who an anonymous downloader is, as far as the platform can tell: a keyed hash of address and user
    agent. The trade is in the hash, so the same visitor is a different fingerprint on each trade."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"download\n{trade.id}\n{address or '-'}\n{(user_agent or '')[:512]}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def record_download(trade: Trade, doc: Document, user=None, *, fingerprint: str | None = None) -> Download:
    """Documents need no registration (O20 Art 20); who took them is kept for the notification duty.

    A downloader (a signed-in user, or an anonymous `fingerprint`) who took this document within
    DOWNLOAD_DEDUP_SECONDS is recorded already: that row is returned and nothing is written."""
    if doc.trade_id != trade.id or doc.withdrawn:
        raise InvalidInput({"document": [_("no such document for this trade")]})
    if not downloadable(trade):
        raise NotAllowed(_("Documents are available once the notice is published and issue time has come."),
                         code="not_yet_available")
    authed = bool(user is not None and getattr(user, "is_authenticated", False))
    fingerprint = None if authed else fingerprint
    if authed or fingerprint:
        since = now() - timedelta(seconds=int(current_app.config["DOWNLOAD_DEDUP_SECONDS"]))
        who = Download.user_id == user.id if authed else sa.and_(Download.user_id.is_(None),
                                                                 Download.fingerprint == fingerprint)
        earlier = db.session.scalar(sa.select(Download).where(Download.document_id == doc.id, who,
                                                              Download.at > since)
                                    .order_by(Download.at.desc()).limit(1))
        if earlier is not None:
            return earlier
    dl = Download(document=doc, trade_id=trade.id, user_id=user.id if authed else None,
                  organisation_id=user.organisation_id if authed else None, fingerprint=fingerprint, at=now())
    db.session.add(dl)
    db.session.flush()
    document_downloaded.send(trade, download=dl)
    return dl


def downloaders(viewer, trade: Trade) -> list[Download]:
    """The confidential list; reading it is itself a sensitive act, so it is signalled."""
    require("trade.downloaders", trade, user=viewer)
    rows = db.session.scalars(sa.select(Download).where(Download.trade_id == trade.id).order_by(Download.at)).all()
    sensitive_read.send(trade, viewer=viewer, what="downloaders")
    return list(rows)


def _bidding_downloaders(trade: Trade) -> set[int]:
    """Companies that took the documents are would-be bidders for the conflict-of-interest policy."""
    return set(db.session.scalars(
        sa.select(Download.organisation_id).where(Download.trade_id == trade.id,
                                                  Download.organisation_id.is_not(None))
    ))


policy.bidder_sources.append(_bidding_downloaders)


def required_deadline(trade: Trade, published: datetime):
    """The earliest deadline a clarification published at `published` allows (Law 23, O87 27)."""
    limit = trade.rule_set.limit("clarification_lead")
    if limit is None or trade.bid_deadline is None:
        return None
    days = int(limit.value)
    calendar = load_calendar()
    last = calendar.period_end(local_date(published), days, limit.unit is Unit.WORKING_DAYS)
    if trade.sandbox and trade.accelerator > 1:
        earliest = published + timedelta(days=(last - local_date(published)).days) / trade.accelerator
        return earliest if earliest > trade.bid_deadline else None
    if last <= local_date(trade.bid_deadline):
        return None
    return at_local_time(last, trade.bid_deadline)


def publish_clarification(actor, trade: Trade, title: str, body: str) -> Clarification:
    """Publish, move the deadline if it came too late, and notify every downloader (O20 Art 22)."""
    require("trade.clarify", trade, user=actor)
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("a title is required")]
    if not (body or "").strip():
        errors["body"] = [_("the clarification needs a text")]
    if errors:
        raise InvalidInput(errors)
    at = now()
    number = numbering.next_number(numbering.clarification_scope(trade.id))
    clar = Clarification(trade=trade, number=number, title=title.strip(), body=body.strip(),
                         author_id=actor.id, published_at=at)
    moved = None
    new_deadline = required_deadline(trade, at)
    if new_deadline is not None:
        old = trade.bid_deadline
        clar.old_deadline, clar.new_deadline = old, new_deadline
        if trade.opening_at == old:
            trade.opening_at = new_deadline
        if trade.docs_until is not None and trade.docs_until > new_deadline:
            trade.docs_until = new_deadline
        trade.bid_deadline = new_deadline
        moved = (old, new_deadline)
    db.session.add(clar)
    db.session.add(Notice(trade=trade, kind=NoticeKind.CLARIFICATION, title=clar.title, body=clar.body,
                          published_at=at))
    clar.notified = _notify_downloaders(trade, clar, moved)
    db.session.flush()
    clarification_published.send(trade, clarification=clar, moved_deadline=moved, actor=actor)
    return clar


def _notify_downloaders(trade: Trade, clar: Clarification, moved) -> int:
    """Each signed-in downloader in the app, and each confirmed address (left anonymously) by e-mail."""
    users = set(db.session.scalars(sa.select(Download.user_id).where(Download.trade_id == trade.id,
                                                                     Download.user_id.is_not(None)).distinct()))
    # A signed-in downloader is told in the app; an address they left is theirs, not another downloader.
    addresses = subscriptions.confirmed_addresses(trade)
    their_addresses = {e for e, u in addresses.items() if u is not None}
    emails = set(addresses) - their_addresses
    with force_locale("zh_CN"):  # official notifications are in the platform's language, not the clerk's
        subject = _("Clarification %(n)d to %(ref)s: %(title)s", n=clar.number, ref=trade.ref, title=clar.title)
        body = clar.body
        if moved:
            body += "\n\n" + _("The bid deadline has moved from %(old)s to %(new)s.",
                               old=format_datetime(moved[0], "yyyy-MM-dd HH:mm"),
                               new=format_datetime(moved[1], "yyyy-MM-dd HH:mm"))
    for uid in sorted(users):
        db.session.add(Notification(user_id=uid, trade_id=trade.id, kind="clarification", subject=subject,
                                    body=body))
    for email in sorted(emails):
        db.session.add(Notification(email=email, trade_id=trade.id, kind="clarification", subject=subject,
                                    body=body))
        outbox.queue(email, subject, body, locale="zh_CN")
    return len(users) + len(emails)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0

