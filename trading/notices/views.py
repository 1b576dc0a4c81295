"""View helpers shared by the portal and the API for documents and e-mail subscriptions."""
from __future__ import annotations

from flask import abort, request, send_file

from trading.accounts import throttle
from trading.blobs import blob_store
from trading.extensions import db
from trading.notices import subscriptions
from trading.notices.models import Document, EmailSubscription
from trading.notices.services import downloader_fingerprint, record_download
from trading.trades.models import Trade


def serve_document(trade: Trade, doc_id: int, user, email: str | None):
    """Record the download (no registration needed, O20 Art 20) and stream the file.

    Anonymous requests count against the address's rate limit; an address left in `email` is only
    sent a confirmation link (see trading.notices.subscriptions). Returns (response, subscription)."""
    anonymous = not user.is_authenticated
    if anonymous:
        throttle.limit_anonymous(request.remote_addr)
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.trade_id != trade.id:
        abort(404)
    address = subscriptions.normalise(email)
    fingerprint = downloader_fingerprint(trade, request.remote_addr, request.user_agent.string) if anonymous else None
    download = record_download(trade, doc, user, fingerprint=fingerprint)
    sub = subscriptions.request_subscription(trade, address, download) if address else None
    db.session.commit()
    response = send_file(blob_store().open(doc.sha256), mimetype=doc.content_type, as_attachment=True,
                         download_name=doc.filename)
    return response, sub


def confirm_subscription(token: str, *, commit: bool) -> EmailSubscription:
    """Read (GET) or confirm (POST) the subscription a link names; confirming is an anonymous write."""
    if commit:
        throttle.limit_anonymous(request.remote_addr)
        sub = subscriptions.confirm(token)
        db.session.commit()
        return sub
    return subscriptions.subscription_for(token)
