"""Single-source API (on the procurement API blueprint), under /api/v1/trades/<id>/single-source: the notice's
supplier, objections and their answers, the negotiation record, its signatures and the conclusion."""
from __future__ import annotations

from flask import abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user

from procurement.blueprints import api_bp as bp
from procurement.direct import services
from procurement.direct.schemas import (NegotiationRecordCreateSchema, NegotiationRecordSchema,
                                        NegotiationSignatureCreateSchema, NegotiationSignatureSchema,
                                        SingleSourceObjectionAnswerSchema, SingleSourceObjectionCreateSchema,
                                        SingleSourceObjectionSchema, SingleSourceSchema,
                                        SingleSourceSupplierCreateSchema)
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import NotAuthenticated, can, require


def single_source_or_404(trade_id: int):
    """The single-source trade, or 404 to anyone who may not know of it (a trade before its notice)."""
    trade = trade_or_404(trade_id)
    if not services.is_single_source(trade):
        abort(404)
    if not can(current_user, "direct.view", trade):
        if not current_user.is_authenticated:
            raise NotAuthenticated(_("Please log in to continue."))
        abort(404)
    return trade


def state_of(trade) -> dict:
    source = services.source_of(trade)
    listed = services.objections(trade)
    return {"trade_id": trade.id, "supplier_id": source.supplier_id if source else None,
            "supplier": source.supplier.name if source and source.supplier else None,
            "reason": source.reason if source else None, "notice_from": trade.issue_at,
            "notice_until": trade.bid_deadline, "objections_open": services.objection_window_open(trade),
            "answer_due": services.answer_due(trade) if trade.bid_deadline else None,
            "stopped_at": source.stopped_at if source else None,
            "stopped_reason": source.stopped_reason if source else None,
            "objection_count": len(listed),
            "objections": listed if can(current_user, "direct.objections", trade) else None,
            "budget": services.budget(trade), "negotiation": services.record_of(trade),
            "unsigned": [s.user.display_name for s in services.unsigned(trade)] if services.record_of(trade) else []}


@bp.get("/trades/<int:trade_id>/single-source")
@doc("A single source's state: the supplier the notice names and why, the notice period (GPR 38), the objections "
     "(their texts to the purchaser and the centre only), the negotiation record and who has still to sign it",
     None, SingleSourceSchema, auth=False)
def single_source(trade_id: int):
    return jsonify(SingleSourceSchema().dump(state_of(single_source_or_404(trade_id))))


@bp.post("/trades/<int:trade_id>/single-source/supplier")
@doc("Name the single supplier and why (GPL 31), until the notice is published", SingleSourceSupplierCreateSchema,
     SingleSourceSchema)
def single_source_supplier(trade_id: int):
    trade = single_source_or_404(trade_id)
    require("direct.name_supplier", trade)
    data = SingleSourceSupplierCreateSchema().load(json_body())
    services.name_supplier(current_user, trade, data["supplier_id"], data["reason"])
    db.session.commit()
    return jsonify(SingleSourceSchema().dump(state_of(trade)))


@bp.get("/trades/<int:trade_id>/single-source/objections/mine")
@doc("The objections one filed on this single source, with their answers", None, SingleSourceObjectionSchema(many=True))
def single_source_my_objections(trade_id: int):
    trade = single_source_or_404(trade_id)
    require("direct.object", trade)
    return jsonify(SingleSourceObjectionSchema(many=True).dump(services.objections_by(current_user, trade)))


@bp.post("/trades/<int:trade_id>/single-source/objections")
@doc("Object to the single-source notice during its period (O74 39): anyone signed in but the purchaser and the "
     "centre; 409 notice_closed outside the period", SingleSourceObjectionCreateSchema, SingleSourceObjectionSchema,
     201)
def single_source_object(trade_id: int):
    trade = single_source_or_404(trade_id)
    require("direct.object", trade)
    data = SingleSourceObjectionCreateSchema().load(json_body())
    objection = services.file_objection(current_user, trade, data["text"])
    db.session.commit()
    return jsonify(SingleSourceObjectionSchema().dump(objection)), 201


@bp.post("/trades/<int:trade_id>/single-source/objections/<int:objection_id>/answer")
@doc("The purchaser answers an objection after the notice period (O74 40); upheld stops the single source "
     "(the trade is suspended with the reason; the decision branch cancels it)", SingleSourceObjectionAnswerSchema,
     SingleSourceObjectionSchema)
def single_source_answer(trade_id: int, objection_id: int):
    trade = single_source_or_404(trade_id)
    require("direct.answer", trade)
    objection = services.objection_of(trade, objection_id)
    if objection is None:
        abort(404)
    data = SingleSourceObjectionAnswerSchema().load(json_body())
    services.answer_objection(current_user, objection, data["answer"], data["upheld"])
    db.session.commit()
    return jsonify(SingleSourceObjectionSchema().dump(objection))


@bp.post("/trades/<int:trade_id>/single-source/negotiation/begin")
@doc("After the notice period, every objection answered and none upheld: the trade goes to the evaluation stage, "
     "where the panel is seated", None, SingleSourceSchema, bodyless=True)
def single_source_begin(trade_id: int):
    trade = single_source_or_404(trade_id)
    require("direct.negotiate", trade)
    services.begin_negotiation(current_user, trade)
    db.session.commit()
    return jsonify(SingleSourceSchema().dump(state_of(trade)))


@bp.post("/trades/<int:trade_id>/single-source/negotiation")
@doc("The negotiation record (O74 43): the agreed price (not above the budget), when and where, the cost basis, "
     "the main terms; once", NegotiationRecordCreateSchema, NegotiationRecordSchema, 201)
def single_source_record(trade_id: int):
    trade = single_source_or_404(trade_id)
    require("direct.negotiate", trade)
    data = NegotiationRecordCreateSchema().load(json_body())
    record = services.record_negotiation(current_user, trade, data)
    db.session.commit()
    return jsonify(NegotiationRecordSchema().dump(record)), 201


@bp.post("/trades/<int:trade_id>/single-source/negotiation/signatures")
@doc("A panel member signs the record: agreeing, or not with the reason (O74 43)", NegotiationSignatureCreateSchema,
     NegotiationSignatureSchema, 201)
def single_source_sign(trade_id: int):
    trade = single_source_or_404(trade_id)
    require("direct.sign", trade)
    data = NegotiationSignatureCreateSchema().load(json_body())
    signature = services.sign(current_user, trade, data["agrees"], data.get("dissent"))
    db.session.commit()
    return jsonify(NegotiationSignatureSchema().dump(signature)), 201


@bp.post("/trades/<int:trade_id>/single-source/conclude")
@doc("Every member signed: the supplier at the agreed price becomes the candidate; award and contract follow on "
     "the award routes", None, SingleSourceSchema, bodyless=True)
def single_source_conclude(trade_id: int):
    trade = single_source_or_404(trade_id)
    require("direct.negotiate", trade)
    services.conclude(current_user, trade)
    db.session.commit()
    return jsonify(SingleSourceSchema().dump(state_of(trade)))
