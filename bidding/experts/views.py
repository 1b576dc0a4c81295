"""The experts' pages: the pool (staff keep it, supervisors sanction), a trade's committee (staff plan and
run the draw; the names only for those who may see them), an expert's own assignments (confirm, decline)."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.blueprints import bp
from bidding.experts import composition, pool, services
from bidding.experts.models import PURPOSE, Expert
from trading.accounts.models import User
from trading.accounts.roles import Role
from trading.draws import services as draws
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import can, require, requires
from trading.trades.models import Trade
from trading.views_common import load_trade


def _date(name: str) -> date | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput({name: [_("is not in the right form")]})


def _int(name: str, default: int | None = None) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() else default


@bp.route("/experts", methods=["GET", "POST"])
@login_required
@requires("experts.pool.view")
def expert_pool():
    errors: dict = {}
    if request.method == "POST":
        try:
            if request.form.get("action") == "sanction":
                require("experts.sanction", None)
                expert = db.get_or_404(Expert, _int("expert_id", 0))
                pool.sanction(current_user, expert, {"kind": request.form.get("kind"),
                                                     "reason": request.form.get("reason"),
                                                     "starts_on": _date("starts_on"), "ends_on": _date("ends_on")})
                message = _("Sanction recorded.")
            else:
                require("experts.pool.manage", None)
                pool.register_expert(current_user, {
                    "user_id": _int("user_id"), "employer": request.form.get("employer"),
                    "region": request.form.get("region"), "title": request.form.get("title"),
                    "specialties": request.form.getlist("specialties")})
                message = _("Expert entered into the pool.")
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("bidding.expert_pool"))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
    experts = db.session.scalars(db.select(Expert).order_by(Expert.id)).all()
    in_pool = {e.user_id for e in experts}
    people = [u for u in db.session.scalars(db.select(User).order_by(User.id))
              if u.id not in in_pool and any(g.role is Role.EXPERT for g in u.grants)]
    return render_template("bidding/expert_pool.html", experts=experts, people=people,
                           specialties=composition.specialties(), source=composition.source(), errors=errors,
                           label=composition.label), (422 if errors else 200)


@bp.route("/trades/<int:trade_id>/committee", methods=["GET", "POST"])
@login_required
@requires("experts.trade.view", load=load_trade)
def committee_page(trade_id: int, obj: Trade):
    trade = obj
    errors: dict = {}
    if request.method == "POST":
        require("experts.trade.draw", trade)
        action = request.form.get("action")
        try:
            if action == "plan":
                codes, counts = request.form.getlist("specialty"), request.form.getlist("count")
                lines = [{"specialty": c, "count": int(n) if n.strip().isdigit() else n}
                         for c, n in zip(codes, counts) if c]
                services.set_plan(current_user, trade, {
                    "lines": lines, "representatives": _int("representatives", -1),
                    "complex": bool(request.form.get("complex")), "region": request.form.get("region")})
                message = _("Committee plan saved.")
            elif action == "recuse":
                services.recuse(current_user, trade, _int("seat_id", 0), request.form.get("reason"))
                message = _("The expert is set aside; the next of the draw's order replaces them.")
            else:
                services.draw(current_user, trade)
                message = _("The draw is fixed: it runs when its commitment window closes.")
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("bidding.committee_page", trade_id=trade.id))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("bidding.committee_page", trade_id=trade.id))
    return render_template("bidding/committee.html", trade=trade, plan=services.plan_of(trade),
                           now_=services.composition_now(trade), rounds=draws.rounds(PURPOSE, trade),
                           seats=services.members_for(current_user, trade),
                           may_see=can(current_user, "experts.trade.members", trade),
                           specialties=composition.specialties(), label=composition.label,
                           errors=errors), (422 if errors else 200)


@bp.route("/experts/assignments", methods=["GET", "POST"])
@login_required
@requires("experts.assignments")
def expert_assignments():
    if request.method == "POST":
        trade = load_trade(_int("trade_id", 0))
        seat_id = _int("seat_id", 0)
        try:
            if request.form.get("action") == "confirm":
                seat = services.confirm(current_user, trade, seat_id)
                message = (_("Confirmed. Keep the assignment secret until the result is published.")
                           if seat.status.value == "confirmed" else
                           _("You can no longer sit on this committee; the next expert of the draw replaces you."))
            else:
                services.decline(current_user, trade, seat_id, request.form.get("reason"),
                                 recusal=request.form.get("action") == "recuse")
                message = _("Recorded; the next expert of the draw's order replaces you.")
            db.session.commit()
            flash(message, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        return redirect(url_for("bidding.expert_assignments"))
    return render_template("bidding/expert_assignments.html", seats=services.assignments(current_user),
                           label=composition.label)
