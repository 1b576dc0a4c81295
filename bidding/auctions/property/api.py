"""The property transfer API (under /api/v1, bearer tokens): O32's pre-disclosure, reserve changes with the
decision branch's consent, and the paths at the disclosure's end."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from bidding.auctions.property import closing, services
from bidding.auctions.property.schemas import (ConsentCreateSchema, ConsentSchema, ExtensionCreateSchema,
                                               ExtensionSchema, NegotiatedCreateSchema, NegotiatedSchema,
                                               PreDisclosureSchema, PropertyStateSchema,
                                               ReserveChangeCreateSchema, ReserveChangeSchema)
from bidding.auctions.services import terms_of
from trading.api import bearer_only, json_body, no_store, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require

api_bp = Blueprint("property_api", __name__, url_prefix="/api/v1")
api_bp.before_request(bearer_only)
api_bp.after_request(no_store)


def _sale(trade_id: int, permission: str):
    trade = trade_or_404(trade_id)
    require(permission, trade)
    if not services.is_property(trade) or terms_of(trade) is None:
        abort(404)
    return trade


def _state(trade):
    return jsonify(PropertyStateSchema().dump(closing.overview(trade)))


@api_bp.get("/trades/<int:trade_id>/property")
@doc("A state property transfer: appraisal, the public reserve and its changes, consents, pre-disclosure, and the "
     "path at the disclosure's end (staff, supervisors, deciders of the centre)", None, PropertyStateSchema)
def property_state(trade_id: int):
    return _state(_sale(trade_id, "property.view"))


@api_bp.post("/trades/<int:trade_id>/property/pre-disclosure")
@doc("Publish the pre-disclosure of a transfer that changes control; the formal disclosure may start 20 working "
     "days later (O32 Art 13; executing staff)", None, PreDisclosureSchema, 201, bodyless=True)
def property_pre_disclose(trade_id: int):
    trade = _sale(trade_id, "property.manage")
    pre = services.pre_disclose(current_user, trade)
    db.session.commit()
    return jsonify(PreDisclosureSchema().dump({
        "notice_id": pre.notice_id, "published_at": pre.published_at,
        "formal_from": services.period_end(trade, pre.published_at, "pre_disclosure")})), 201


@api_bp.post("/trades/<int:trade_id>/property/reserve")
@doc("Change the transfer reserve: before the disclosure not below the appraisal (O32 Art 17); after a disclosure "
     "without a qualified transferee only lower, disclosed again until bid_deadline (≥ 20 working days), below 90% "
     "of the appraisal only with a recorded consent (Art 18; executing staff)", ReserveChangeCreateSchema,
     ReserveChangeSchema, 201)
def property_change_reserve(trade_id: int):
    trade = _sale(trade_id, "property.manage")
    data = ReserveChangeCreateSchema().load(json_body())
    change = services.change_reserve(current_user, trade, data["price"], data["reason"], data["bid_deadline"])
    db.session.commit()
    return jsonify(ReserveChangeSchema().dump(change)), 201


@api_bp.post("/trades/<int:trade_id>/property/consents")
@doc("Record the approving body's written consent to a reserve below 90% of the appraisal: lowest_price, reason "
     "and the signed document as multipart field 'document' (O32 Art 18; the decision branch)", None, ConsentSchema,
     201, upload="document")
def property_consent(trade_id: int):
    trade = _sale(trade_id, "property.consent")
    data = ConsentCreateSchema().load({k: v for k, v in request.form.items() if k != "document"})
    file = request.files.get("document")
    consent = services.record_consent(current_user, trade, data["lowest_price"], data["reason"],
                                      file.filename if file else None, file.mimetype if file else None,
                                      file.stream if file else None)
    db.session.commit()
    return jsonify(ConsentSchema().dump(consent)), 201


@api_bp.post("/trades/<int:trade_id>/property/competition")
@doc("Two or more qualified transferees at the disclosure's end: start the live timed round (Enterprise "
     "State-owned Assets Law 54; executing staff)", None, PropertyStateSchema, bodyless=True)
def property_competition(trade_id: int):
    trade = _sale(trade_id, "property.manage")
    closing.start_competition(current_user, trade)
    db.session.commit()
    return _state(trade)


@api_bp.post("/trades/<int:trade_id>/property/negotiated")
@doc("Exactly one qualified transferee: record the negotiated transfer price, not less than the reserve "
     "(executing staff); the deal reads it as the offer", NegotiatedCreateSchema, NegotiatedSchema, 201)
def property_negotiated(trade_id: int):
    trade = _sale(trade_id, "property.manage")
    data = NegotiatedCreateSchema().load(json_body())
    row = closing.record_negotiated(current_user, trade, data["price"])
    db.session.commit()
    return jsonify(NegotiatedSchema().dump(row)), 201


@api_bp.post("/trades/<int:trade_id>/property/extension")
@doc("No qualified transferee at the deadline: extend the disclosure to a new deadline, published (O32 Art 18; "
     "executing staff)", ExtensionCreateSchema, ExtensionSchema, 201)
def property_extension(trade_id: int):
    trade = _sale(trade_id, "property.manage")
    data = ExtensionCreateSchema().load(json_body())
    row = closing.extend_disclosure(current_user, trade, data["bid_deadline"], data["reason"])
    db.session.commit()
    return jsonify(ExtensionSchema().dump(row)), 201


@api_bp.post("/trades/<int:trade_id>/property/no-deal")
@doc("No qualified transferee at the deadline: end the sale without a deal through the deal's procedure, which "
     "records and publishes it (executing staff)", None, PropertyStateSchema, bodyless=True)
def property_no_deal(trade_id: int):
    trade = _sale(trade_id, "property.manage")
    closing.end_without_deal(current_user, trade)
    db.session.commit()
    return _state(trade)
