"""The results page of a procurement trade: the purchaser's award decision with its deadline, the result
announcement, the contract's publication, the delivery and acceptance, and the SME terms and declarations."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.award.candidates import current_list
from bidding.award.decision import PassOver
from procurement.blueprints import bp
from procurement.plans.services import is_procurement
from procurement.results import policy, services, sme
from trading.clock import local_tz, now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import require, requires
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.views_common import load_trade


def _local_time(raw: str | None, field: str) -> datetime:
    try:
        return datetime.fromisoformat((raw or "").strip()).replace(tzinfo=local_tz())
    except ValueError:
        raise InvalidInput({field: [_("must be a date and time such as 2026-04-01 09:30")]}) from None


def _act(action: str, trade: Trade, values: dict) -> str:
    """One form's business call; returns the message to flash."""
    if action == "decide":
        require("procurement.results.decide", trade)
        winner = values.get("winner_id", "")
        services.decide(current_user, trade, int(winner) if winner.isdigit() else None,
                        [PassOver(int(c), "gave_up", values.get("note", "")) for c in request.form.getlist("pass")
                         if c.isdigit()], values.get("reason") or None)
        return _("The winner is fixed; the result is announced.")
    if action == "policy":
        require("procurement.results.policy", trade)
        sme.set_policy(current_user, trade, {"category": values.get("category"), "deduction": values.get("deduction"),
                                             "reserved": values.get("reserved") == "on"})
        return _("SME terms saved.")
    if action == "delivery":
        require("procurement.results.accept", trade)
        services.record_delivery(current_user, trade, _local_time(values.get("delivered_at"), "delivered_at"),
                                 values.get("note"))
        return _("Delivery recorded.")
    if action == "acceptance":
        require("procurement.results.accept", trade)
        passed = {"yes": True, "no": False}.get(values.get("passed", ""))
        services.record_acceptance(current_user, trade, passed, values.get("report"))
        return _("Acceptance recorded.")
    abort(400)


@bp.route("/trades/<int:trade_id>/results", methods=["GET", "POST"])
@login_required
@requires("procurement.results.view", load=load_trade)
def results_page(trade_id: int, obj: Trade):
    trade = obj
    if not is_procurement(trade):
        abort(404)
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            flash(_act(values.get("action", ""), trade, values), "success")
            db.session.commit()
            return redirect(url_for("procurement.results_page", trade_id=trade.id))
        except (InvalidInput, IllegalMove) as exc:
            db.session.rollback()
            errors = exc.errors if isinstance(exc, InvalidInput) else {"_": [exc.message]}
    lst = current_list(trade)
    return render_template("procurement/results.html", trade=trade, summary=services.summary(trade),
                           candidates=lst.candidates if lst is not None else [], policy=policy,
                           errors=errors, values=values), (422 if errors else 200)


def declaration_link(trade: Trade, organisation) -> tuple[str, str] | None:
    """bidding.submission's BID_PAGE_LINKS hook: the bid page of a procurement that states SME terms links here."""
    if not is_procurement(trade) or sme.policy_of(trade) is None:
        return None
    return (_("Declare small or micro enterprise status (SME price deduction)"),
            url_for("procurement.sme_declaration_page", trade_id=trade.id))


def _declaration_data(values: dict) -> dict:
    """The form as the API's body: employees a whole number when it is one (else the service names the field)."""
    employees = (values.get("employees") or "").strip()
    return {"size": values.get("size"), "industry": values.get("industry"),
            "employees": int(employees) if employees.isdigit() else employees,
            "revenue": (values.get("revenue") or "").strip()}


@bp.route("/trades/<int:trade_id>/sme-declaration", methods=["GET", "POST"])
@login_required
@requires("procurement.results.declare", load=load_trade)
def sme_declaration_page(trade_id: int, obj: Trade):
    """A supplier declares its small or micro enterprise status (46号 Art. 11) with its bid, before the deadline."""
    trade = obj
    terms = sme.policy_of(trade)
    if terms is None:
        abort(404)
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            sme.declare(current_user, trade, _declaration_data(values))
            db.session.commit()
            flash(_("Your SME declaration is recorded; your bid is evaluated at the deducted price."), "success")
            return redirect(url_for("procurement.sme_declaration_page", trade_id=trade.id))
        except (InvalidInput, IllegalMove) as exc:
            db.session.rollback()
            errors = exc.errors if isinstance(exc, InvalidInput) else {"_": [exc.message]}
    at = now()
    return render_template("procurement/sme_declaration.html", trade=trade, terms=terms, policy=policy,
                           declaration=sme.declaration_of(trade, current_user.organisation_id),
                           open=trade.state is TradeState.BIDDING and at < trade.bid_deadline,
                           errors=errors, values=values), (422 if errors else 200)
