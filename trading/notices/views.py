"""View helpers shared by the portal and the API for documents."""
from __future__ import annotations

from flask import abort, send_file

from trading.blobs import blob_store
from trading.extensions import db
from trading.notices.models import Document
from trading.notices.services import record_download
from trading.trades.models import Trade


def serve_document(trade: Trade, doc_id: int, user, email: str | None):
    """Record the download (no registration needed, O20 Art 20) and stream the file."""
    doc = db.session.get(Document, doc_id)
    if doc is None or doc.trade_id != trade.id:
        abort(404)
    record_download(trade, doc, user, email)
    db.session.commit()
    return send_file(blob_store().open(doc.sha256), mimetype=doc.content_type, as_attachment=True,
                     download_name=doc.filename)
