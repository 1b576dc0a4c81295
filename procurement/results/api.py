"""Results API (on the procurement API blueprint): the purchaser's award decision, the SME terms and
declarations, the delivery and acceptance, the public result, and a plan's reserved share."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from bidding.award.decision import PassOver
from procurement.blueprints import api_bp as bp
from procurement.plans.api import _plan_or_404
from procurement.results import services, sme
from procurement.results.schemas import (AcceptanceLoadSchema, AcceptanceSchema, DecisionLoadSchema, DecisionSchema,
                                         DeliveryLoadSchema, PublicResultSchema, ReservedShareSchema, ProcurementResultsSchema,
                                         SmeDeclarationLoadSchema, SmeDeclarationSchema, SmePolicyLoadSchema,
                                         SmePolicySchema)
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.extensions import db
from trading.permissions import require


@bp.get("/trades/<int:trade_id>/procurement-results")
@doc("A procurement's results for its purchaser and the centre's branches: the decision due (O87 68), the "
     "purchaser's or the platform's decision, the result announcement and its end, the contract, the acceptance, "
     "the SME terms and (from the opening) the SME declarations", None, ProcurementResultsSchema)
def procurement_results(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.results.view", trade)
    return jsonify(ProcurementResultsSchema().dump(services.summary(trade)))


@bp.get("/trades/<int:trade_id>/procurement-result")
@doc("The public result of a procurement: the result announcement (published with the award, lasting 1 working "
     "day: GPR 43) and the contract's publication", None, PublicResultSchema, auth=False)
def procurement_public_result(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.results.public", trade)
    return jsonify(PublicResultSchema().dump(services.public_summary(trade)))


@bp.put("/trades/<int:trade_id>/sme-policy")
@doc("State the trade's SME terms (财库〔2020〕46号): category, price deduction within its range, reserved to "
     "SMEs; until the bid deadline", SmePolicyLoadSchema, SmePolicySchema)
def procurement_sme_policy(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.results.policy", trade)
    row = sme.set_policy(current_user, trade, SmePolicyLoadSchema().load(json_body()))
    db.session.commit()
    return jsonify(SmePolicySchema().dump(row))


@bp.post("/trades/<int:trade_id>/sme-declaration")
@doc("A supplier declares itself a small or micro enterprise with its bid, before the bid deadline (46号 Art. 11); "
     "its bid is then evaluated at the deducted price", SmeDeclarationLoadSchema, SmeDeclarationSchema, 201)
def procurement_sme_declaration(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.results.declare", trade)
    row = sme.declare(current_user, trade, SmeDeclarationLoadSchema().load(json_body()))
    db.session.commit()
    return jsonify(SmeDeclarationSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/award-decision")
@doc("The purchaser fixes the winner within its period (O87 68: report in 2 working days, decision in 5); the "
     "award, its letters and the result announcement follow. 409 decision_period_over once the platform awards "
     "rank one", DecisionLoadSchema, DecisionSchema, 201)
def procurement_award_decision(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.results.decide", trade)
    data = DecisionLoadSchema().load(json_body())
    passes = [PassOver(p["candidate_id"], p["reason"], p["note"]) for p in data["passed_over"]]
    row = services.decide(current_user, trade, data["winner_id"], passes, data["reason"])
    db.session.commit()
    return jsonify(DecisionSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/delivery")
@doc("The purchaser records the supplier's delivery under the contract", DeliveryLoadSchema, AcceptanceSchema, 201)
def procurement_delivery(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.results.accept", trade)
    data = DeliveryLoadSchema().load(json_body())
    row = services.record_delivery(current_user, trade, data["delivered_at"], data["note"])
    db.session.commit()
    return jsonify(AcceptanceSchema().dump(row)), 201


@bp.post("/trades/<int:trade_id>/acceptance")
@doc("The purchaser's acceptance (履约验收, GPR 45) of the delivery: passed or not, with its report",
     AcceptanceLoadSchema, AcceptanceSchema)
def procurement_acceptance(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.results.accept", trade)
    data = AcceptanceLoadSchema().load(json_body())
    row = services.record_acceptance(current_user, trade, data["passed"], data["report"])
    db.session.commit()
    return jsonify(AcceptanceSchema().dump(row))


@bp.get("/procurement/plans/<int:plan_id>/sme-share")
@doc("The plan's budget drawn by projects reserved to SMEs against all it drew, and the share the policy asks "
     "(财库〔2020〕46号 Art. 8; 财库〔2022〕19号: 40%, configurable)", None, ReservedShareSchema)
def procurement_sme_share(plan_id: int):
    return jsonify(ReservedShareSchema().dump(sme.reserved_share(_plan_or_404(plan_id))))
