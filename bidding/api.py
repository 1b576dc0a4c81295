"""Sealed-bid API: keyholders, personal keys, the opening key, bids and receipts (under /api/v1)."""
from __future__ import annotations

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from bidding import receipt, services
from bidding.models import Bid, BidState
from bidding.schemas import (AppointKeyholdersSchema, BidderBidSchema, BidSchema, EnrolSchema, KeyholderSchema,
                             OpeningKeySchema, PersonalKeySchema, ReceiptKeySchema)
from trading.api import bearer_only, json_body, no_store, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import NotAuthenticated, can, require

bp = Blueprint("bidding_api", __name__, url_prefix="/api/v1")
bp.before_request(bearer_only)
bp.after_request(no_store)


_trade = trade_or_404
_json = json_body


def _authenticated() -> None:
    if not current_user.is_authenticated:
        raise NotAuthenticated(_("Please log in to continue."))


@bp.post("/trades/<int:trade_id>/keyholders")
@doc("Appoint the trade's keyholders (decision branch, before approval)", AppointKeyholdersSchema,
     KeyholderSchema(many=True), 201)
def appoint_keyholders(trade_id: int):
    trade = _trade(trade_id)
    require("trade.keyholders", trade)
    data = AppointKeyholdersSchema().load(_json())
    services.appoint_keyholders(current_user, trade, data["execute"], data["supervise"])
    db.session.commit()
    return jsonify(KeyholderSchema(many=True).dump(services.keyholder_view(trade))), 201


@bp.get("/trades/<int:trade_id>/keyholders")
@doc("The trade's keyholders and whether each has enrolled a personal key", None, KeyholderSchema(many=True))
def list_keyholders(trade_id: int):
    trade = _trade(trade_id)
    require("trade.work", trade)
    return jsonify(KeyholderSchema(many=True).dump(services.keyholder_view(trade)))


@bp.post("/me/personal-key")
@doc("Enrol a personal key protected by a passphrase only you know (keyholders)", EnrolSchema,
     PersonalKeySchema, 201)
def enrol_personal_key():
    _authenticated()
    data = EnrolSchema().load(_json())
    row = services.enrol_personal_key(current_user, data["passphrase"])
    db.session.commit()
    return jsonify(PersonalKeySchema().dump(row)), 201


@bp.get("/trades/<int:trade_id>/opening-key")
@doc("The trade's published opening public key and its fingerprint", None, OpeningKeySchema, auth=False)
def get_opening_key(trade_id: int):
    trade = _trade(trade_id)
    require("trade.view", trade)
    key = services.opening_key(trade)
    if key is None:
        abort(404)
    out = OpeningKeySchema().dump(key)
    out["trade_ref"] = trade.ref
    return jsonify(out)


@bp.get("/receipt-key")
@doc("The platform's receipt-signing public key (Ed25519)", None, ReceiptKeySchema, auth=False)
def get_receipt_key():
    public = services.receipt_private_key().public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return jsonify(ReceiptKeySchema().dump({"public_key": raw.hex(), "key_id": receipt.key_id(public), "pem": pem}))


@bp.post("/trades/<int:trade_id>/bids")
@doc("Submit (or replace) a sealed bid: the raw envelope as the body; answers with a signed receipt",
     None, BidSchema, 201, binary="application/octet-stream")
def submit_bid(trade_id: int):
    trade = _trade(trade_id)
    require("trade.bid", trade)
    bid = services.submit_bid(current_user, trade, request.stream, request.headers.get("Content-Digest"))
    body = BidSchema().dump(bid)  # before the commit expires the row: no reload to answer
    db.session.commit()
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
from bidding import ceremony_api  # noqa: E402,F401  (its routes register on bp)
