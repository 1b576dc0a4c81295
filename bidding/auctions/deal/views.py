"""The deal's pages: the deal page (the outcome, the confirmation with its signatures and PDF; the staff conclude,
the parties sign) and the staff's deposits page (refunds against their due dates). One POST per page with an
`action`; each action checks its own permission before anything else."""
from __future__ import annotations

from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required

from bidding.auctions.deal import disclosure, services
from bidding.auctions.deal.conclusion import CONCLUDING
from bidding.blueprints import bp
from trading.clock import now
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import can, require, requires
from trading.trades.models import Trade
from trading.views_common import fmt_money, load_trade

ACTIONS = {"conclude": "deal.conclude", "sign": "deal.sign"}


@bp.route("/trades/<int:trade_id>/deal", methods=["GET", "POST"])
@login_required
@requires("deal.view", load=load_trade)
def deal_page(trade_id: int, obj: Trade):
    trade = obj
    if request.method == "POST":
        action = request.form.get("action", "")
        if action not in ACTIONS:
            raise InvalidInput({"action": [_("is not an action of this page")]})
        require(ACTIONS[action], trade)
        try:
            if action == "conclude":
                services.conclude(current_user, trade)
                message = _("The sale has ended: the result is published.")
            else:
                services.sign_confirmation(current_user, trade, request.form.get("statement"),
                                           request.form.get("signature"))
                message = _("You have signed the transaction confirmation.")
            db.session.commit()
            flash(message, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message if not isinstance(exc, InvalidInput) else
                  "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()), "error")
        return redirect(url_for("bidding.deal_page", trade_id=trade.id))
    view = disclosure.deal_view(trade)
    party = services.party_of(current_user, trade)
    confirmation = view["confirmation"] if view else None
    signed = confirmation is not None and party is not None and party.value not in confirmation["waiting_for"]
    may_conclude = (view is None and can(current_user, "deal.conclude", trade) and trade.state in CONCLUDING
                    and (trade.bid_deadline is None or now() >= trade.bid_deadline))
    return render_template("bidding/auctions/deal.html", trade=trade, deal=view, confirmation=confirmation,
                           party=party.value if party else None, signed=signed, may_conclude=may_conclude,
                           may_deposits=can(current_user, "deal.deposits", trade),
                           money=lambda v: fmt_money(Decimal(str(v))) if v is not None else "—")


@bp.route("/trades/<int:trade_id>/deal/confirmation.pdf")
@login_required
@requires("deal.confirmation", load=load_trade)
def deal_confirmation_pdf(trade_id: int, obj: Trade):
    """The confirmation's PDF for the page's readers (session); the API serves the same to bearer tokens."""
    from bidding.auctions.deal.confirmation_pdf import render_confirmation

    row = services.confirmation_of(obj)
    if row is None:
        abort(404)
    return Response(render_confirmation(row), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="confirmation-{obj.ref}.pdf"'})


@bp.route("/trades/<int:trade_id>/deal/deposits", methods=["GET", "POST"])
@login_required
@requires("deal.deposits", load=load_trade)
def deal_deposits_page(trade_id: int, obj: Trade):
    trade = obj
    if request.method == "POST":
        try:
            if request.form.get("action") == "refund_others":
                done = services.refund_others(current_user, trade)
                message = ngettext("%(num)d refund recorded.", "%(num)d refunds recorded.", len(done))
            else:
                raw = request.form.get("deposit_id", "")
                services.refund(current_user, trade, int(raw) if raw.isdigit() and len(raw) < 10 else 0,
                                request.form.get("note"))
                message = _("Refund recorded.")
            db.session.commit()
            flash(message, "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        return redirect(url_for("bidding.deal_deposits_page", trade_id=trade.id))
    return render_template("bidding/auctions/deal_deposits.html", trade=trade, deal=disclosure.deal_view(trade),
                           lines=disclosure.deposits_view(trade),
                           money=lambda v: fmt_money(Decimal(str(v))) if v is not None else "—")
