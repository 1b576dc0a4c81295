"""Deal API routes (on the bidding API blueprint), /api/v1/trades/<id>/deal/...: conclude, read the deal and its
confirmation (JSON and PDF), sign it, and the staff's deposit refunds."""
from __future__ import annotations

from flask import Response, abort, jsonify
from flask_login import current_user

from bidding.auctions.deal import disclosure, services
from bidding.auctions.deal.schemas import (ConfirmationSchema, ConfirmationSignatureSchema, DealSignLoadSchema,
                                           DealSchema, DepositLineSchema, DealRefundLoadSchema)
from bidding.blueprints import api_bp as bp
from trading.api import json_body
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import requires
from trading.views_common import load_trade

BASE = "/trades/<int:trade_id>/deal"


@bp.get(BASE)
@doc("How the sale ended: the winner (paddle, company), the price and how it was offered, the premium over the "
     "starting price and the appreciation over the appraisal, or no deal and why (O39 Art. 19); with the "
     "transaction confirmation and its signatures (the parties, the centre's staff and supervisors)", None,
     DealSchema)
@requires("deal.view", load_trade)
def get_deal(trade_id: int, obj):
    view = disclosure.deal_view(obj)
    if view is None:
        abort(404)
    return jsonify(DealSchema().dump(view))


@bp.post(BASE)
@doc("End the sale after the close (executing staff): the highest offer at or above the opened reserve wins "
     "(ties to the earliest), else no deal; the winner's deposit is applied to the price, the confirmation "
     "issued and signed by the platform, the result published", None, DealSchema, 201, bodyless=True)
@requires("deal.conclude", load_trade)
def conclude_deal(trade_id: int, obj):
    services.conclude(current_user, obj)
    db.session.commit()
    return jsonify(DealSchema().dump(disclosure.deal_view(obj))), 201


@bp.get(f"{BASE}/confirmation")
@doc("The transaction confirmation: its canonical record, SHA-256, the platform's signature and the parties' "
     "signed statements (for checking offline)", None, ConfirmationSchema)
@requires("deal.confirmation", load_trade)
def get_deal_confirmation(trade_id: int, obj):
    view = disclosure.confirmation_view(obj)
    if view is None:
        abort(404)
    return jsonify(ConfirmationSchema().dump(view))


@bp.get(f"{BASE}/confirmation.pdf")
@doc("The transaction confirmation as a PDF (成交确认书), in the reader's language", None, None)
@requires("deal.confirmation", load_trade)
def get_deal_confirmation_pdf(trade_id: int, obj):
    from bidding.auctions.deal.confirmation_pdf import render_confirmation

    row = services.confirmation_of(obj)
    if row is None:
        abort(404)
    return Response(render_confirmation(row), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="confirmation-{obj.ref}.pdf"'})


@bp.post(f"{BASE}/confirmation/sign")
@doc("Sign the transaction confirmation with my own key (the winner's bidder or the seller's member): the "
     "statement from POST /api/v1/signing/statements (kind deal-confirmation) and my signature over it",
     DealSignLoadSchema, ConfirmationSignatureSchema, 201)
@requires("deal.sign", load_trade)
def sign_deal_confirmation(trade_id: int, obj):
    data = DealSignLoadSchema().load(json_body())
    services.sign_confirmation(current_user, obj, data["statement"], data["signature"])
    db.session.commit()
    view = disclosure.confirmation_view(obj)
    mine = next(s for s in view["signatures"] if s["party"] == services.party_of(current_user, obj).value)
    return jsonify(ConfirmationSignatureSchema().dump(mine)), 201


@bp.get(f"{BASE}/deposits")
@doc("The deposits after the sale (executing staff): the winner's applied to the price, the others with the "
     "end of their refund period (land: 5 working days, O39 Art. 21) and their state", None,
     DepositLineSchema(many=True))
@requires("deal.deposits", load_trade)
def list_deal_deposits(trade_id: int, obj):
    return jsonify(DepositLineSchema(many=True).dump(disclosure.deposits_view(obj)))


@bp.post(f"{BASE}/deposits/<int:deposit_id>/refund")
@doc("Record the refund of one deposit (executing staff; not the winner's, which is applied to the price)",
     DealRefundLoadSchema, DepositLineSchema(many=True))
@requires("deal.deposits", load_trade)
def refund_deal_deposit(trade_id: int, deposit_id: int, obj):
    data = DealRefundLoadSchema().load(json_body())
    services.refund(current_user, obj, deposit_id, data["note"])
    db.session.commit()
    return jsonify(DepositLineSchema(many=True).dump(disclosure.deposits_view(obj)))
