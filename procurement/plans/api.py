"""Plans API (on the procurement API blueprint): plans and their budget lines, a trade's draw and the
method approval, and the savings (/api/v1/procurement/...)."""
from __future__ import annotations

from datetime import date

from flask import abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from procurement.blueprints import api_bp as bp
from procurement.plans import savings as savings_service, services
from procurement.plans.models import ProcurementPlan
from procurement.plans.schemas import (MethodApprovalCreateSchema, MethodApprovalSchema, BudgetDrawCreateSchema, BudgetDrawSchema,
                                       BudgetLineCreateSchema, BudgetLineSchema, ProcurementPlanCreateSchema, ProcurementPlanSchema, ProcurementSavingsSchema)
from trading.api import json_body, trade_or_404
from trading.api.openapi import doc
from trading.errors import InvalidInput
from trading.extensions import db
from trading.permissions import NotAuthenticated, can, require


def _plan_or_404(plan_id: int) -> ProcurementPlan:
    plan = db.session.get(ProcurementPlan, plan_id)
    if plan is None or not can(current_user, "procurement.plan.view", plan):
        if plan is not None and not current_user.is_authenticated:
            raise NotAuthenticated(_("Please log in to continue."))
        abort(404)
    return plan


@bp.get("/procurement/plans")
@doc("The procurement plans one may read: one's organisation's, and those at centres where one holds a "
     "branch role, with their budget lines and what each has left", None, ProcurementPlanSchema(many=True))
def procurement_plans():
    if not current_user.is_authenticated:
        raise NotAuthenticated(_("Please log in to continue."))
    return jsonify(ProcurementPlanSchema(many=True).dump(services.plans_for(current_user)))


@bp.post("/procurement/plans")
@doc("Make a purchaser's annual procurement plan at a centre (the purchaser for itself, or the centre's "
     "staff for a purchaser)", ProcurementPlanCreateSchema, ProcurementPlanSchema, 201)
def procurement_plan_create():
    data = ProcurementPlanCreateSchema().load(json_body())
    plan = services.create_plan(current_user, data)
    db.session.commit()
    return jsonify(ProcurementPlanSchema().dump(plan)), 201


@bp.get("/procurement/plans/<int:plan_id>")
@doc("One plan with its budget lines: amount, drawn and left", None, ProcurementPlanSchema)
def procurement_plan(plan_id: int):
    return jsonify(ProcurementPlanSchema().dump(_plan_or_404(plan_id)))


@bp.post("/procurement/plans/<int:plan_id>/lines")
@doc("Add a budget line: fund source, category code of the catalogue, description, amount",
     BudgetLineCreateSchema, BudgetLineSchema, 201)
def procurement_line_create(plan_id: int):
    plan = _plan_or_404(plan_id)
    require("procurement.plan.edit", plan)
    line = services.add_line(current_user, plan, BudgetLineCreateSchema().load(json_body()))
    db.session.commit()
    return jsonify(BudgetLineSchema().dump(line)), 201


@bp.post("/trades/<int:trade_id>/budget-draw")
@doc("A procurement trade (a draft) draws its estimated price on a budget line of its purchaser's plan: "
     "422 naming what the line has left when it is not enough, or when a method other than open tender "
     "reaches the threshold without the decision branch's approval", BudgetDrawCreateSchema, BudgetDrawSchema, 201)
def procurement_draw(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.draw", trade)
    data = BudgetDrawCreateSchema().load(json_body())
    record = services.draw(current_user, trade, data["line_id"])
    db.session.commit()
    return jsonify(BudgetDrawSchema().dump(record)), 201


@bp.post("/trades/<int:trade_id>/method-approval")
@doc("The decision branch approves a method other than open tender above the threshold, with its reason "
     "(GPL 27)", MethodApprovalCreateSchema, MethodApprovalSchema, 201)
def procurement_method_approval(trade_id: int):
    trade = trade_or_404(trade_id)
    require("procurement.method.approve", trade)
    data = MethodApprovalCreateSchema().load(json_body())
    approval = services.approve_method(current_user, trade, data["reason"])
    db.session.commit()
    return jsonify(MethodApprovalSchema().dump(approval)), 201


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput({name: [_("must be a date such as 2026-03-31")]}) from None


@bp.get("/procurement/savings")
@doc("Savings (节约资金): budget minus contract amount of the trades one works on that have a contract, "
     "grouped by project, purchaser or centre; from/to bound the contracts' signing dates (both included)",
     None, ProcurementSavingsSchema,
     query={"group": {"type": "string", "enum": list(savings_service.GROUPS)},
            "from": {"type": "string", "format": "date", "maxLength": 10},
            "to": {"type": "string", "format": "date", "maxLength": 10}})
def procurement_savings():
    require("procurement.savings")
    group = request.args.get("group") or "project"
    if group not in savings_service.GROUPS:
        raise InvalidInput({"group": [_("must be one of: %(choices)s", choices=", ".join(savings_service.GROUPS))]})
    start, end = _date_arg("from"), _date_arg("to")
    if start and end and start > end:
        raise InvalidInput({"to": [_("must not be before the start date")]})
    return jsonify(ProcurementSavingsSchema().dump(savings_service.savings(current_user, group, start, end)))
