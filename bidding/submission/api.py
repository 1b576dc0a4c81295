"""Sealed-bid API (under /api/v1): submitting, listing and withdrawing bids; the receipt key."""
from __future__ import annotations

import functools

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from flask import abort, jsonify, request
from flask_login import current_user
from sqlalchemy.orm import lazyload

from bidding.blueprints import api_bp as bp, authenticated as _authenticated
from bidding.crypto import receipt
from bidding.submission import intake, services
from bidding.submission.models import Bid, BidState
from bidding.submission.schemas import BidderBidSchema, BidSchema, ReceiptKeySchema
from trading.api import takes_caller, trade_or_404 as _trade
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import can, require
from trading.trades.models import Trade


_BID = BidSchema()  # dumping only: one instance serves every upload


@functools.cache
def _trade_query() -> sa.Select:
    """The trade's own row and, in the same statement, the caller's company's latest bid on it (as the
    five columns services.submit_bid reads, all None when it has none). Built once (with its loader
    options, building it costs as much as running it)."""
    latest = Bid.__table__.alias("latest")
    newest = (sa.select(Bid.id).where(Bid.trade_id == Trade.id, Bid.organisation_id == sa.bindparam("organisation_id"))
              .order_by(Bid.version.desc()).limit(1).scalar_subquery())
    return (sa.select(Trade, latest.c.id, latest.c.version, latest.c.state, latest.c.sha256, latest.c.size)
            .outerjoin(latest, latest.c.id == newest)
            .where(Trade.id == sa.bindparam("id"))
            .options(lazyload(Trade.centre), lazyload(Trade.tenderer)))


@bp.get("/receipt-key")
@doc("The platform's receipt-signing public key (Ed25519)", None, ReceiptKeySchema, auth=False)
def get_receipt_key():
    public = services.receipt_public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return jsonify(ReceiptKeySchema().dump({"public_key": raw.hex(), "key_id": receipt.key_id(public), "pem": pem}))


@bp.post("/trades/<int:trade_id>/bids")
@doc("Submit (or replace) a sealed bid: the raw envelope as the body; answers with a signed receipt",
     None, BidSchema, 201, binary="application/octet-stream")
@takes_caller  # the bidder's id, grants and company are all it reads of its caller: no User row built
def submit_bid(trade_id: int):
    # the trade's own row (no centre, tenderer or offerings) with the company's latest bid: one statement
    organisation = getattr(current_user, "organisation", None)  # None: anonymous (refused below) or no company
    row = db.session.execute(_trade_query(), {"id": trade_id,
                                              "organisation_id": organisation.id if organisation else None}).first()
    if row is None:
        abort(404)
    trade = row[0]
    require("trade.bid", trade)
    latest = services.LatestBid(*row[1:])
    bid = services.submit_bid(current_user, trade, intake.body(request), request.headers.get("Content-Digest"),
                              latest=latest if latest.id is not None else None)
    body = _BID.dump(bid)  # before the commit expires the row: no reload to answer
    if db.session().in_transaction():  # stored inline in this session (not by the process's bid writer,
        db.session.commit()          # which has committed it): an empty commit would still run its hooks
    return jsonify(body), 201


@bp.get("/trades/<int:trade_id>/bids")
@doc("Bids: a bidder sees their own; the tenderer and executing staff see who bid (never what)",
     None, BidderBidSchema(many=True))
def list_bids(trade_id: int):
    trade = _trade(trade_id)
    _authenticated()
    if can(current_user, "trade.bidders", trade):
        rows = db.session.scalars(sa.select(Bid).where(Bid.trade_id == trade.id, Bid.state == BidState.SUBMITTED)
                                  .order_by(Bid.received_at)).all()
        services.bidder_list_read(current_user, trade)
        db.session.commit()
        return jsonify(BidderBidSchema(many=True).dump(rows))
    require("trade.bid", trade)
    return jsonify(BidSchema(many=True).dump(services.own_bids(current_user, trade)))


@bp.delete("/trades/<int:trade_id>/bids")
@doc("Withdraw one's bid before the deadline", None, BidSchema)
def withdraw_bid(trade_id: int):
    trade = _trade(trade_id)
    require("trade.bid", trade)
    bid = services.withdraw_bid(current_user, trade)
    db.session.commit()
    return jsonify(BidSchema().dump(bid))
