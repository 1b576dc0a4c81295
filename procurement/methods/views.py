"""Pages of the methods: an invitation tender's invitees (the list, the draw, both public once made) and the
change of method after a failed tender (the request, the decision)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from procurement.blueprints import bp
from procurement.methods import changes, services
from procurement.methods.rules import CHANGE_SOURCE, MIN_INVITEES, O87_14
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import can, require, requires
from trading.trades.models import Trade
from trading.views_common import load_trade


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.strip().isdigit()]


@bp.route("/trades/<int:trade_id>/invitees", methods=["GET", "POST"])
@requires("procurement.invitees.view", load=load_trade)
def invitees_page(trade_id: int, obj: Trade):
    """Who is invited and how: the purchaser's list or the draw with its candidates, beacon, seed and order."""
    trade = obj
    if not services.is_invitation(trade):
        abort(404)
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        require("procurement.invitees.set", trade)
        try:
            if values.get("action") == "draw":
                count = values.get("count", "").strip()
                services.fix_draw(current_user, trade, int(count) if count.isdigit() else 0)
                flash(_("The draw is fixed; it is made when its beacon is signed."), "success")
            else:
                services.publish_list(current_user, trade, _ints(request.form.getlist("organisation_ids")),
                                      values.get("reason", ""))
                flash(_("The invitees are published."), "success")
            db.session.commit()
            return redirect(url_for("procurement.invitees_page", trade_id=trade.id))
        except (InvalidInput, IllegalMove) as exc:
            db.session.rollback()
            errors = exc.errors if isinstance(exc, InvalidInput) else {"_": [exc.message]}
    chosen = services.invitees(trade)
    rounds = services.rounds(trade)
    settable = can(current_user, "procurement.invitees.set", trade) and trade.state in services.CHOOSING \
        and not chosen and not rounds
    names = {o.id: o.name for o in services.qualified_suppliers()} if (settable or rounds) else {}
    return render_template("procurement/invitees.html", trade=trade, invitees=chosen, rounds=rounds,
                           settable=settable, suppliers=names, minimum=int(MIN_INVITEES.value),
                           source=MIN_INVITEES.source, list_source=O87_14, errors=errors, values=values,
                           picked=set(_ints(request.form.getlist("organisation_ids")))), (422 if errors else 200)


@bp.route("/trades/<int:trade_id>/method-change", methods=["GET", "POST"])
@login_required
@requires("procurement.method_change.view", load=load_trade)
def method_change_page(trade_id: int, obj: Trade):
    """A failed tender's change of method: the purchaser or clerk asks with a reason, the decision branch decides."""
    trade = obj
    if trade.method not in changes.CHANGES:
        abort(404)
    errors: dict = {}
    values = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            if values.get("action") == "decide":
                require("procurement.method_change.decide", trade)
                changes.decide(current_user, trade, values.get("approve") == "yes", values.get("reason", ""))
                flash(_("The decision is recorded with its reason."), "success")
            else:
                require("procurement.method_change.request", trade)
                changes.request(current_user, trade, values.get("to_method", ""), values.get("reason", ""))
                flash(_("The request is sent to the decision branch."), "success")
            db.session.commit()
            return redirect(url_for("procurement.method_change_page", trade_id=trade.id))
        except (InvalidInput, IllegalMove) as exc:
            db.session.rollback()
            errors = exc.errors if isinstance(exc, InvalidInput) else {"_": [exc.message]}
    from trading.rules.model import registry

    return render_template("procurement/method_change.html", trade=trade, changes=changes.changes_of(trade),
                           pending=changes.pending(trade), targets=[(m, registry.get(m).name) for m in
                                                                    changes.targets(trade)],
                           method_name=lambda code: registry.get(code).name if code in registry else code,
                           source=CHANGE_SOURCE, errors=errors, values=values), (422 if errors else 200)
