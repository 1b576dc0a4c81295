"""Sealed reserve API routes (on the sealed-bid API blueprint, /api/v1/trades/<id>/reserve...)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from bidding.auctions.reserve import opening, services, signatures
from bidding.auctions.reserve.schemas import (ReleasedSchema, ReserveSignatureSchema, ReserveSignLoadSchema,
                                              ReserveStateSchema, SealedReserveSchema)
from bidding.blueprints import api_bp as bp
from bidding.keyholders.schemas import ReleaseSchema, SealedShareSchema, hex_bytes
from bidding.keyholders.services import refuse_passphrase
from trading.api import json_body as _json, trade_or_404 as _trade
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require


def _state(trade, status: int = 200):
    return jsonify(ReserveStateSchema().dump(services.reserve_view(current_user, trade))), status


@bp.get("/trades/<int:trade_id>/reserve")
@doc("Where the sealed reserve price stands: the envelopes' hashes and receipts, the releases, and the amount "
     "once opened after the last bid (the centre's branches and the trade's keyholders)", None, ReserveStateSchema)
def get_reserve(trade_id: int):
    trade = _trade(trade_id)
    require("reserve.view", trade)
    return _state(trade)


@bp.post("/trades/<int:trade_id>/reserve")
@doc("Seal (or replace) the reserve price: the raw envelope as the body, sealed to the trade's opening key with "
     "bidder field RESERVE and the next number as its version, with its Content-Digest (decision branch, before "
     "the listing closes); answers with a signed receipt", None, SealedReserveSchema, 201,
     binary="application/octet-stream")
def seal_reserve(trade_id: int):
    trade = _trade(trade_id)
    require("reserve.seal", trade)
    data = request.stream.read(services.MAX_RESERVE_BYTES + 1)  # more than that fails the size check
    row = services.seal_reserve(current_user, trade, data, request.headers.get("Content-Digest"))
    body = SealedReserveSchema().dump(row)
    db.session.commit()
    return jsonify(body), 201


@bp.get("/trades/<int:trade_id>/reserve/share")
@doc("Your sealed share of the trade's opening key, for your own machine to open (keyholders, after the last "
     "bid)", None, SealedShareSchema)
def get_reserve_share(trade_id: int):
    trade = _trade(trade_id)
    require("reserve.release", trade)
    response = jsonify(SealedShareSchema().dump(opening.reserve_share_for(current_user, trade)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/trades/<int:trade_id>/reserve/shares")
@doc("Release your share for opening the reserve: the share your own machine opened (keyholders, after the "
     "last bid; a request with a passphrase is 410)", ReleaseSchema, ReleasedSchema, 201)
def release_reserve_share(trade_id: int):
    trade = _trade(trade_id)
    require("reserve.release", trade)
    body = _json()
    refuse_passphrase(body)
    data = ReleaseSchema().load(body)
    row = opening.release_reserve_share(current_user, trade, hex_bytes(data["share"]))
    db.session.commit()
    return jsonify(ReleasedSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/reserve/open")
@doc("Open the sealed reserve price after the last bid, from the released shares (supervisors); 409 before the "
     "round is over or with too few shares", None, ReserveStateSchema, bodyless=True)
def open_reserve(trade_id: int):
    trade = _trade(trade_id)
    require("reserve.open", trade)
    opening.open_reserve(current_user, trade)
    db.session.commit()
    return _state(trade)


@bp.post("/trades/<int:trade_id>/reserve/signatures")
@doc("Sign the reserve's opening record with my own key, with a dissent if any (a drawn supervisor or the "
     "supervising keyholder, once): the statement from POST /api/v1/signing/statements (kind reserve-record) "
     "and my signature over it", ReserveSignLoadSchema, ReserveSignatureSchema, 201)
def sign_reserve_record(trade_id: int):
    trade = _trade(trade_id)
    require("reserve.sign", trade)
    data = ReserveSignLoadSchema().load(_json())
    row = signatures.sign_reserve_record(current_user, trade, data.get("dissent"), data["statement"],
                                         data["signature"])
    db.session.commit()
    mine = next(s for s in signatures.signatures_view(trade) if s["user_id"] == row.user_id)
    return jsonify(ReserveSignatureSchema().dump(mine)), 201
