"""Pages of the single source: the notice's objections (anyone reads the notice; anyone signed in objects during
the period; the purchaser answers) and the negotiation (the supplier named, the record, its signatures)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from procurement.blueprints import bp
from procurement.direct import services
from trading.accounts.models import Organisation, OrgKind
from trading.clock import local_tz
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.permissions import can, require, requires
from trading.trades.models import Trade
from trading.views_common import load_trade


def _single_source(trade_id: int, **_other) -> Trade:
    trade = load_trade(trade_id)
    if not services.is_single_source(trade):
        abort(404)
    return trade


def _when(field: str) -> datetime | None:
    raw = (request.form.get(field) or "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=local_tz())
    except ValueError:
        raise InvalidInput({field: [_("is not in the right form")]}) from None


def _yes(field: str) -> bool | None:
    value = request.form.get(field)
    return None if value in (None, "") else value == "1"


def _attempt(work, done: str, target: str, trade: Trade, render):
    """Run a service call; bad input shows the page again with each field's message (422), a refused step
    with its reason (409)."""
    try:
        work()
    except InvalidInput as exc:
        db.session.rollback()
        return render(exc.errors, 422)
    except IllegalMove as exc:
        db.session.rollback()
        return render({"_": [exc.message]}, 409)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(target, trade_id=trade.id))


@bp.route("/trades/<int:trade_id>/single-source/objections", methods=["GET", "POST"])
def single_source_objections_page(trade_id: int):
    """The notice and its objections: filed during the period, answered by the purchaser after it."""
    trade = _single_source(trade_id)
    if not can(current_user, "direct.view", trade):
        abort(404)

    def render(errors=None, status=200):
        signed_in = current_user.is_authenticated
        return render_template(
            "procurement/single_source_objections.html", trade=trade, source=services.source_of(trade),
            objections=services.objections(trade) if can(current_user, "direct.objections", trade) else [],
            count=len(services.objections(trade)),
            mine=services.objections_by(current_user, trade) if signed_in else [],
            open=services.objection_window_open(trade), answer_due=services.answer_due(trade),
            errors=errors or {}, values=request.form if errors else {}), status

    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.path))
        if request.form.get("action") == "answer":
            require("direct.answer", trade)
            raw = request.form.get("objection_id", "")
            objection = services.objection_of(trade, int(raw)) if raw.isdigit() else None
            if objection is None:
                abort(404)
            return _attempt(lambda: services.answer_objection(current_user, objection, request.form.get("answer"),
                                                              _yes("upheld")),
                            _("Answer recorded."), "procurement.single_source_objections_page", trade, render)
        require("direct.object", trade)
        return _attempt(lambda: services.file_objection(current_user, trade, request.form.get("text")),
                        _("Objection filed; the purchaser answers after the notice period."),
                        "procurement.single_source_objections_page", trade, render)
    return render()


@bp.route("/trades/<int:trade_id>/single-source/negotiation", methods=["GET", "POST"])
@login_required
@requires("direct.negotiation.view", load=_single_source)
def single_source_negotiation_page(trade_id: int, obj: Trade):
    """The supplier the notice names, the negotiation record with the agreed price, and its signatures."""
    trade = obj

    def render(errors=None, status=200):
        suppliers = []
        if can(current_user, "direct.name_supplier", trade) and trade.state in services.NAMEABLE:
            suppliers = list(db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrgKind.BIDDER)
                                                .order_by(Organisation.name).limit(500)))
        record = services.record_of(trade)
        return render_template(
            "procurement/single_source_negotiation.html", trade=trade, source=services.source_of(trade),
            record=record, panel=services.panel(trade), unsigned=services.unsigned(trade) if record else [],
            budget=services.budget(trade), suppliers=suppliers,
            on_panel=any(s.user_id == current_user.id for s in services.panel(trade)),
            signed=record is not None and any(s.user_id == current_user.id for s in record.signatures),
            errors=errors or {}, values=request.form if errors else {}), status

    if request.method == "POST":
        action = request.form.get("action")
        target = "procurement.single_source_negotiation_page"
        if action == "supplier":
            require("direct.name_supplier", trade)
            raw = request.form.get("supplier_id", "")
            return _attempt(lambda: services.name_supplier(current_user, trade, int(raw) if raw.isdigit() else None,
                                                           request.form.get("reason")),
                            _("Supplier named."), target, trade, render)
        if action == "sign":
            require("direct.sign", trade)
            return _attempt(lambda: services.sign(current_user, trade, _yes("agrees"), request.form.get("dissent")),
                            _("Signed."), target, trade, render)
        require("direct.negotiate", trade)
        if action == "begin":
            return _attempt(lambda: services.begin_negotiation(current_user, trade),
                            _("The negotiation has begun: seat the panel on the evaluation page."), target, trade,
                            render)
        if action == "conclude":
            return _attempt(lambda: services.conclude(current_user, trade),
                            _("The supplier is the candidate at the agreed price; the purchaser confirms it on the results page."),
                            target, trade, render)

        def record():
            data = {k: request.form.get(k) for k in ("price", "place", "cost_basis", "terms")}
            data["negotiated_at"] = _when("negotiated_at")
            services.record_negotiation(current_user, trade, data)

        return _attempt(record, _("Negotiation record made; each panel member signs it."), target, trade, render)
    return render()
