"""The deposits API (under /api/v1, bearer tokens)."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify
from flask_login import current_user

from bidding.deposits import services
from bidding.deposits.schemas import DepositCreateSchema, DepositSchema, DepositSettleSchema
from trading.api import bearer_only, json_body, no_store, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require

api_bp = Blueprint("deposits_api", __name__, url_prefix="/api/v1")
api_bp.before_request(bearer_only)
api_bp.after_request(no_store)


@api_bp.get("/trades/<int:trade_id>/deposits")
@doc("The trade's bid-security deposits (staff, supervisors, deciders of the centre; before the opening "
     "only the tenderer and executing staff see which company paid, others a pseudonym)", None,
     DepositSchema(many=True))
def list_deposits(trade_id: int):
    trade = trade_or_404(trade_id)
    require("deposits.view", trade)
    return jsonify(DepositSchema(many=True).dump(services.deposits_for(current_user, trade)))


@api_bp.post("/trades/<int:trade_id>/deposits")
@doc("Record a company's bid-security deposit (executing staff)", DepositCreateSchema, DepositSchema(), 201)
def record_deposit_api(trade_id: int):
    trade = trade_or_404(trade_id)
    require("deposits.manage", trade)
    data = DepositCreateSchema().load(json_body())
    deposit = services.record_deposit(current_user, trade, data["organisation_id"], data["amount"], data["paid_at"],
                             data["note"], data["payer_account"])
    db.session.commit()
    return jsonify(DepositSchema().dump(services.shown(current_user, [deposit], trade)[0])), 201


@api_bp.post("/trades/<int:trade_id>/deposits/<int:deposit_id>/settle")
@doc("Refund a deposit, or keep it with a reason (executing staff)", DepositSettleSchema, DepositSchema())
def settle_deposit_api(trade_id: int, deposit_id: int):
    trade = trade_or_404(trade_id)
    require("deposits.manage", trade)
    deposit = services.deposit_of(trade, deposit_id)
    if deposit is None:
        abort(404)
    data = DepositSettleSchema().load(json_body())
    services.settle_deposit(current_user, deposit, data["how"], data["note"])
    db.session.commit()
    return jsonify(DepositSchema().dump(services.shown(current_user, [deposit], trade)[0]))
