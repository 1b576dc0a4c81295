"""The deposits page of a trade (executing staff record and settle; the centre's branches look)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding.deposits import services
from trading.clock import local_tz
from trading.errors import InvalidInput
from trading.extensions import db
from trading.permissions import require, requires
from trading.trades.models import Trade
from trading.views_common import load_trade

bp = Blueprint("deposits", __name__, url_prefix="/bidding")


@bp.route("/trades/<int:trade_id>/deposits", methods=["GET", "POST"])
@login_required
@requires("deposits.view", load=load_trade)
def deposits_page(trade_id: int, obj: Trade):
    trade = obj
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        require("deposits.manage", trade)
        try:
            raw = request.form.get("paid_at", "").strip()
            paid_at = datetime.fromisoformat(raw).replace(tzinfo=local_tz()) if raw else None
        except ValueError:
            errors = {"paid_at": [_("is not in the right form")]}
        if not errors:
            try:
                org = request.form.get("organisation_id", "")
                services.record_deposit(current_user, trade, int(org) if org.isdigit() else 0,
                               request.form.get("amount", "").strip(), paid_at, request.form.get("note"),
                               request.form.get("payer_account"))
                db.session.commit()
                flash(_("Deposit recorded."), "success")
                return redirect(url_for("deposits.deposits_page", trade_id=trade.id))
            except InvalidInput as exc:
                db.session.rollback()
                errors = exc.errors
    return render_template("bidding/deposits.html", trade=trade, deposits=services.deposits_for(current_user, trade),
                           bidders=services.bidder_companies(),
                           errors=errors, values=values), (422 if errors else 200)


@bp.route("/trades/<int:trade_id>/deposits/<int:deposit_id>/settle", methods=["POST"])
@login_required
@requires("deposits.manage", load=load_trade)
def settle_page(trade_id: int, deposit_id: int, obj: Trade):
    deposit = services.deposit_of(obj, deposit_id)
    if deposit is None:
        abort(404)
    services.settle_deposit(current_user, deposit, request.form.get("how", ""), request.form.get("note"))
    db.session.commit()
    flash(_("Deposit of %(org)s settled.", org=services.shown(current_user, [deposit], obj)[0].organisation),
          "success")
    return redirect(url_for("deposits.deposits_page", trade_id=obj.id))
