"""Pages of the plans: the plans one may read, and one plan's budget lines with what each has left."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required

from procurement.blueprints import bp
from procurement.plans import catalogue, services
from procurement.plans.models import ProcurementPlan
from trading.accounts.models import Organisation, OrgKind
from trading.accounts.roles import Role
from trading.centres.models import Centre
from trading.clock import local_tz, now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import can, require, requires
from trading.trades.models import Trade
from trading.views_common import load_trade

import sqlalchemy as sa


def _load_plan(plan_id: int) -> ProcurementPlan:
    plan = db.session.get(ProcurementPlan, plan_id)
    if plan is None:
        abort(404)
    return plan


def _centres() -> list[Centre]:
    return [c for c in db.session.scalars(sa.select(Centre).order_by(Centre.id))
            if any(m.startswith("gp_") for m in c.methods) and can(current_user, "procurement.plan.create", c)]


@bp.route("/plans", methods=["GET", "POST"])
@login_required
@requires("procurement.plans")
def plans_page():
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            year = values.get("year", "")
            if not year.isdigit() or not 2000 <= int(year) <= 2100:
                raise InvalidInput({"year": [_("must be a year from %(min)d to %(max)d", min=2000, max=2100)]})
            centre = values.get("centre_id", "")
            purchaser = values.get("purchaser_id", "")
            plan = services.create_plan(current_user, {
                "centre_id": int(centre) if centre.isdigit() else 0, "year": int(year),
                "title": (values.get("title") or "").strip() or _("%(y)s procurement plan", y=year),
                "purchaser_id": int(purchaser) if purchaser.isdigit() else None})
            db.session.commit()
            flash(_("Plan made."), "success")
            return redirect(url_for("procurement.plan_page", plan_id=plan.id))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
    purchasers = []
    if current_user.centres_for(Role.CENTRE_STAFF):
        purchasers = list(db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrgKind.TENDERER)
                                             .order_by(Organisation.name)))
    return render_template("procurement/plans.html", plans=services.plans_for(current_user), centres=_centres(),
                           purchasers=purchasers, errors=errors, values=values,
                           this_year=now().astimezone(local_tz()).year), (422 if errors else 200)


@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
@login_required
@requires("procurement.plan.view", load=lambda plan_id: _load_plan(plan_id))
def plan_page(plan_id: int, obj: ProcurementPlan):
    plan = obj
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        require("procurement.plan.edit", plan)
        try:
            try:
                amount = Decimal(values.get("amount", "").replace(",", "").strip())
                if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
                    raise InvalidOperation
            except InvalidOperation:
                raise InvalidInput({"amount": [_("must be an amount such as 1250000.00")]}) from None
            description = (values.get("description") or "").strip()
            if not 2 <= len(description) <= 200:
                raise InvalidInput({"description": [_("must be between %(min)d and %(max)d characters",
                                                      min=2, max=200)]})
            services.add_line(current_user, plan, {
                "fund_source": values.get("fund_source", ""), "category_code": values.get("category_code", ""),
                "description": description, "amount": amount})
            db.session.commit()
            flash(_("Budget line added."), "success")
            return redirect(url_for("procurement.plan_page", plan_id=plan.id))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
    locale = str(get_locale() or "zh_CN")
    return render_template("procurement/plan.html", plan=plan, categories=catalogue.CATEGORIES,
                           fund_sources=catalogue.FUND_SOURCES, kinds=catalogue.KINDS, locale=locale,
                           thresholds=[catalogue.threshold_for(k, now().astimezone(local_tz()).date())
                                       for k in ("goods", "works", "services")],
                           errors=errors, values=values), (422 if errors else 200)


@bp.route("/trades/<int:trade_id>/budget", methods=["GET", "POST"])
@login_required
@requires("trade.work", load=load_trade)
def trade_budget_page(trade_id: int, obj: Trade):
    """A procurement trade's budget: its draw (the purchaser or staff pick a line while it is a draft) and the
    decision branch's approval of a method other than open tender (with its reason)."""
    trade = obj
    if not services.is_procurement(trade):
        abort(404)
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            if values.get("action") == "approve":
                require("procurement.method.approve", trade)
                services.approve_method(current_user, trade, values.get("reason", ""))
                flash(_("Method approved; the reason is recorded."), "success")
            else:
                require("procurement.draw", trade)
                line = values.get("line_id", "")
                services.draw(current_user, trade, int(line) if line.isdigit() else 0)
                flash(_("Budget drawn."), "success")
            db.session.commit()
            return redirect(url_for("procurement.trade_budget_page", trade_id=trade.id))
        except (InvalidInput, IllegalMove) as exc:
            db.session.rollback()
            errors = exc.errors if isinstance(exc, InvalidInput) else {"_": [exc.message]}
    lines = [line for plan in services.plans_for_trade(trade) for line in plan.lines]
    return render_template("procurement/trade_budget.html", trade=trade, draw=services.draw_of(trade),
                           approval=services.approval_of(trade), lines=lines, categories=catalogue.CATEGORIES,
                           locale=str(get_locale() or "zh_CN"), errors=errors, values=values), (422 if errors else 200)
