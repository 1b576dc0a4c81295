"""Custody pages: the kept bid documents for those who may read them, and reading one (audited)."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from bidding.blueprints import bp
from bidding.custody import services
from bidding.custody.api import download
from trading.permissions import requires
from trading.trades.models import Trade
from trading.views_common import load_trade


@bp.route("/trades/<int:trade_id>/bid-documents")
@login_required
@requires("custody.read", load=load_trade)
def bid_documents_page(trade_id: int, obj: Trade):
    """The opened bids' documents, grouped by bidder, with the reader's ground and a warning that
    each read is recorded."""
    basis, rows = services.documents(current_user, obj)
    return render_template("bidding/bid_documents.html", trade=obj, basis=basis, rows=rows)


@bp.route("/trades/<int:trade_id>/bid-documents/<int:document_id>")
@login_required
@requires("custody.read", load=load_trade)
def bid_document_download(trade_id: int, document_id: int, obj: Trade):
    return download(obj, document_id)
