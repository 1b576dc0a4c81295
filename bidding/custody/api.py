"""Custody API routes (on the bidding API blueprint): list and read the kept bid documents, and assign
supervisors to a complaint."""
from __future__ import annotations

from flask import Response, abort, jsonify, stream_with_context
from flask_login import current_user

from bidding.blueprints import api_bp as bp
from bidding.custody import services
from bidding.custody.models import ComplaintReview
from bidding.custody.schemas import (ComplaintReviewCreateSchema, ComplaintReviewSchema, KeptDocumentSchema,
                                     KeptListSchema)
from trading.accounts.models import User
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require


def download(trade, document_id: int) -> Response:
    """The plaintext of one kept document as an attachment, after the read is recorded and committed."""
    found = services.read_document(current_user, trade, document_id)
    if found is None:
        abort(404)
    document, chunks = found
    db.session.commit()  # the read is on record before a byte leaves
    response = Response(stream_with_context(chunks), mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = _disposition(document.name)
    response.headers["Content-Length"] = str(document.size)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-SHA256"] = document.sha256
    return response


def _disposition(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"bid-document\"; filename*=UTF-8''{quote(name, safe='')}"


@bp.get("/trades/<int:trade_id>/bid-documents")
@doc("The opened bids' kept documents (the sitting evaluation committee; the tenderer after the award; "
     "supervisors on a complaint)", None, KeptListSchema)
def list_bid_documents(trade_id: int):
    trade = trade_or_404(trade_id)
    require("custody.read", trade)
    basis, rows = services.documents(current_user, trade)
    return jsonify({"basis": basis, "documents": KeptDocumentSchema(many=True).dump(rows)})


@bp.get("/trades/<int:trade_id>/bid-documents/<int:document_id>")
@doc("Read one kept bid document (the read is recorded in the audit log first)", None, None)
def read_bid_document(trade_id: int, document_id: int):
    trade = trade_or_404(trade_id)
    require("custody.read", trade)
    return download(trade, document_id)


@bp.post("/trades/<int:trade_id>/complaint-reviews")
@doc("Assign an administrative supervisor to a complaint on the trade: they may read the kept bid "
     "documents until it is closed (administrative supervisors of the centre)",
     ComplaintReviewCreateSchema, ComplaintReviewSchema, 201)
def assign_complaint_review(trade_id: int):
    trade = trade_or_404(trade_id)
    require("custody.assign_complaint", trade)
    data = ComplaintReviewCreateSchema().load(json_body())
    row = services.assign_complaint_reviewer(current_user, trade, db.session.get(User, data["supervisor_id"]),
                                             data["complaint_ref"])
    db.session.commit()
    return jsonify(ComplaintReviewSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/complaint-reviews/<int:review_id>/close")
@doc("Close a complaint review: the supervisor's access to the bid documents ends", None, ComplaintReviewSchema,
     bodyless=True)
def close_complaint_review(trade_id: int, review_id: int):
    trade = trade_or_404(trade_id)
    require("custody.assign_complaint", trade)
    review = db.session.get(ComplaintReview, review_id)
    if review is None or review.trade_id != trade.id:
        abort(404)
    services.close_complaint_review(current_user, review)
    db.session.commit()
    return jsonify(ComplaintReviewSchema().dump(review))
