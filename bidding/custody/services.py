"""Keeping the opened bids' documents and reading them back.

At the opening (bidding.ceremony.opening) each attached file of an opened bid is encrypted as it is
decoded, under a fresh data key per file, and the data key is wrapped under the custody key derived
from CUSTODY_SECRET (else SECRET_KEY): the server holds that key, so the server, not cryptography,
decides who reads (docs/bid-custody.md says so). Reads go through `read_document`, which checks the
named permission, records the read in the same transaction, and decrypts chunk by chunk."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

import bidding.custody.permissions  # noqa: F401  (registers the custody permissions)
from bidding.crypto import custody as crypto
from bidding.custody.models import ComplaintReview, CustodyRead, KeptDocument
from bidding.custody.permissions import read_basis
from trading.accounts import policy
from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.blobs import blob_store
from trading.clock import now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require
from trading.trades.models import Trade

DEFAULT_RETENTION_YEARS = 15


def custody_kek() -> bytes:
    """The key-encryption key of the kept documents, from the platform's configuration."""
    config = current_app.config
    return crypto.custody_key(config.get("CUSTODY_SECRET") or config["SECRET_KEY"])


def keeper(trade: Trade, credit_code: str, version: int, kek: bytes) -> crypto.Keeper:
    """What the opening hands each bid's decoding: files go encrypted into the blob directory."""
    return crypto.Keeper(blob_store().root, kek, trade.ref, credit_code, version)


def retention_years(trade: Trade) -> int:
    limit = trade.rule_set.limit("bid_retention")
    return int(limit.value) if limit else DEFAULT_RETENTION_YEARS


def _years_after(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def keep_documents(trade: Trade, kept: list[tuple[object, list[crypto.KeptFile]]]) -> list[KeptDocument]:
    """Record the kept files of the opened bids, `kept` = [(bid, [KeptFile])], in the opening's
    transaction, each to be kept for the rule set's retention period from now."""
    at = now()
    until = _years_after(at, retention_years(trade))
    rows = [KeptDocument(trade_id=trade.id, bid_id=bid.id, organisation_id=bid.organisation_id, name=k.name,
                         size=k.size, sha256=k.sha256, blob_sha256=k.blob_sha256, blob_size=k.blob_size,
                         sealed=k.sealed_key, key_id=k.key_id, kept_at=at, retain_until=until)
            for bid, files in kept for k in files]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def documents(viewer: User, trade: Trade) -> tuple[str, list[KeptDocument]]:
    """The kept documents and the viewer's ground for reading them (refused without one)."""
    require("custody.read", trade, user=viewer)
    rows = db.session.scalars(sa.select(KeptDocument).where(KeptDocument.trade_id == trade.id)
                              .order_by(KeptDocument.id)).all()
    return read_basis(viewer, trade), list(rows)


def _document(trade: Trade, document_id: int) -> KeptDocument | None:
    doc = db.session.get(KeptDocument, document_id)
    return doc if doc is not None and doc.trade_id == trade.id else None


def read_document(viewer: User, trade: Trade, document_id: int) -> tuple[KeptDocument, Iterator[bytes]] | None:
    """Check the permission, record the read (the caller commits before streaming), and return the
    document with its plaintext as a stream of chunks; None if the trade has no such document."""
    require("custody.read", trade, user=viewer)
    doc = _document(trade, document_id)
    if doc is None:
        return None
    basis = read_basis(viewer, trade)
    path = blob_store().path(doc.blob_sha256)
    if not path.exists():
        raise IllegalMove(_("The kept document is missing from the blob store: tell the platform's operators."),
                          code="document_missing")
    db.session.add(CustodyRead(document_id=doc.id, trade_id=trade.id, user_id=viewer.id, basis=basis, at=now()))
    db.session.flush()
    bid = doc.organisation.credit_code
    ctx = crypto.context(trade.ref, bid, _bid_version(doc), doc.name)
    kek = custody_kek()

    def stream() -> Iterator[bytes]:
        with path.open("rb") as fh:
            yield from crypto.read_kept(fh, kek, doc.sealed, ctx)

    return doc, stream()


def _bid_version(doc: KeptDocument) -> int:
    from bidding.submission.models import Bid

    return db.session.scalar(sa.select(Bid.version).where(Bid.id == doc.bid_id))


def reads(trade: Trade) -> list[CustodyRead]:
    return list(db.session.scalars(sa.select(CustodyRead).where(CustodyRead.trade_id == trade.id)
                                   .order_by(CustodyRead.id)))


def assign_complaint_reviewer(actor: User, trade: Trade, supervisor: User | None, complaint_ref: str | None
                              ) -> ComplaintReview:
    """An administrative supervisor of the trade's centre is assigned to a complaint: held to the
    conflict policy (no tie to the tenderer or a bidder), then may read the kept documents."""
    require("custody.assign_complaint", trade, user=actor)
    ref = (complaint_ref or "").strip()
    if not ref or len(ref) > 200:
        raise InvalidInput({"complaint_ref": [_("name the complaint (1 to 200 characters)")]})
    if supervisor is None or trade.centre_id not in supervisor.centres_for(Role.ADMIN_SUPERVISOR):
        raise InvalidInput({"supervisor_id": [_("choose an administrative supervisor of this trade's centre")]})
    policy.join(supervisor, trade, "supervisor")
    row = ComplaintReview(trade_id=trade.id, supervisor_id=supervisor.id, complaint_ref=ref,
                          assigned_by_id=actor.id, assigned_at=now())
    db.session.add(row)
    db.session.flush()
    return row


def close_complaint_review(actor: User, review: ComplaintReview) -> ComplaintReview:
    """The complaint is decided: the reviewer's access ends."""
    require("custody.assign_complaint", review.trade, user=actor)
    if review.closed_at is not None:
        raise IllegalMove(_("This complaint review is already closed."), code="already_closed")
    review.closed_at = now()
    db.session.flush()
    return review


def stored_blobs() -> list[str]:
    """Digests of the kept documents' ciphertexts (the blob sweep spares them)."""
    return list(db.session.scalars(sa.select(KeptDocument.blob_sha256).distinct()))
