"""Key-custody API (under /api/v1): appointing keyholders, enrolling a personal key, the opening key."""
from __future__ import annotations

from flask import abort, jsonify
from flask_login import current_user

from bidding.blueprints import api_bp as bp, authenticated as _authenticated
from bidding.keyholders import services
from bidding.keyholders.schemas import (AppointKeyholdersSchema, EnrolSchema, KeyholderSchema, OpeningKeySchema,
                                        PersonalKeySchema, hex_bytes)
from trading.api import json_body as _json, trade_or_404 as _trade
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require


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
@doc("Enrol a personal key made on your own machine: its public key and, if you keep it here, the "
     "private key wrapped there under your passphrase (never the passphrase; a request with one is 410)",
     EnrolSchema, PersonalKeySchema, 201)
def enrol_personal_key():
    _authenticated()
    require("keys.enrol", None)
    body = _json()
    services.refuse_passphrase(body)
    data = EnrolSchema().load(body)
    row = services.enrol_personal_key(current_user, hex_bytes(data["public_key"]), hex_bytes(data["wrapped_key"]))
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
