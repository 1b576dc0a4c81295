"""Bid pages: the bid page (sealing in the browser), the upload it makes, withdrawing, the receipt file."""
from __future__ import annotations

import json

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.blueprints import bp
from bidding.submission import intake, services
from bidding.submission.models import BidState
from bidding.submission.schemas import BidSchema
from trading.clock import now
from trading.errors import DomainError
from trading.extensions import db
from trading.permissions import requires
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.views_common import load_trade


def _bid_context(trade: Trade) -> dict:
    org = services.bidder_organisation(current_user)
    bids = services.own_bids(current_user, trade)
    at = now()
    return {
        "trade": trade, "organisation": org, "bids": bids, "key": services.opening_key(trade),
        "version": services.next_version(trade, org.id), "now": at,
        "open": trade.state is TradeState.BIDDING and trade.bid_deadline is not None and at < trade.bid_deadline,
        "current": next((b for b in bids if b.state is BidState.SUBMITTED), None),
        # the receipt's own time, to the millisecond, as the bidder will compare it
        "received": {b.id: json.loads(b.receipt).get("received_at") if b.receipt else None for b in bids},
        "max_bytes": services.max_bid_bytes(), "max_label": size_label(services.max_bid_bytes()),
        # a layer above may refuse this company outright (an invitation tender's invitees): said before sealing
        "refusal": services.refusal(trade, org),
        "links": services.page_links(trade, org),  # a layer above's pages for this bid (an SME declaration)
    }


def size_label(n: int) -> str:
    """A size as people read it: 64 MB, 1.5 MB, 200 KB (binary units, as the browser measures files)."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{n / 1024:.0f} KB"


@bp.route("/trades/<int:trade_id>/bid")
@login_required
@requires("trade.bid", load=load_trade)
def bid_page(trade_id: int, obj: Trade):
    """The bidder seals in the page; only the envelope is uploaded (to submit_bid below)."""
    return render_template("bidding/bid.html", **_bid_context(obj))


@bp.route("/trades/<int:trade_id>/bids", methods=["POST"])
@login_required
@requires("trade.bid", load=load_trade)
def submit_bid(trade_id: int, obj: Trade):
    """The page's upload: the raw envelope as the body (session + X-CSRFToken), answered in JSON."""
    try:
        bid = services.submit_bid(current_user, obj, intake.body(request), request.headers.get("Content-Digest"))
        body = BidSchema().dump(bid)  # before the commit expires the row: no reload to answer
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return jsonify(exc.to_dict()), exc.status
    body["trade"] = obj.ref
    body["receipt_url"] = url_for("bidding.bid_receipt", trade_id=obj.id, version=bid.version)
    body["next_version"] = bid.version + 1
    return jsonify(body), 201


@bp.route("/trades/<int:trade_id>/bids/withdraw", methods=["POST"])
@login_required
@requires("trade.bid", load=load_trade)
def withdraw_bid(trade_id: int, obj: Trade):
    try:
        bid = services.withdraw_bid(current_user, obj)
        db.session.commit()
        flash(_("Bid version %(v)d withdrawn. You may still submit a new bid before the deadline.",
                v=bid.version), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("bidding.bid_page", trade_id=obj.id))


@bp.route("/trades/<int:trade_id>/bids/<int:version>/receipt.json")
@login_required
@requires("trade.bid", load=load_trade)
def bid_receipt(trade_id: int, version: int, obj: Trade):
    """The signed receipt of one of the bidder's own bids, as the file they keep."""
    bid = next((b for b in services.own_bids(current_user, obj) if b.version == version), None)
    if bid is None or not bid.receipt:
        abort(404)
    name = f"receipt-{obj.ref}-v{bid.version}.json"
    return Response(bid.receipt + "\n", mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
