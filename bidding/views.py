"""Sealed-bid pages: the bid page (sealing in the browser), keyholder pages, the opening ceremony."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from bidding import keys, services
from bidding.models import BidState, Keyholder, Side
from bidding.schemas import BidSchema
from trading.accounts.models import RoleGrant, User
from trading.accounts.roles import Role
from trading.clock import now
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import requires
from trading.trades.flows import TradeState
from trading.trades.models import Trade

bp = Blueprint("bidding", __name__, url_prefix="/bidding")

#: who may hold a share of an opening key: executing staff and supervisors, at any centre
SUPERVISOR_ROLES = (Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR)


def load_trade(trade_id: int, **_other) -> Trade:
    trade = db.session.get(Trade, trade_id)
    if trade is None:
        abort(404)
    return trade


# ---- the bid page ---------------------------------------------------------------------------------

def _bid_context(trade: Trade) -> dict:
    org = services.bidder_organisation(current_user)
    bids = services.own_bids(current_user, trade)
    at = now()
    return {
        "trade": trade, "organisation": org, "bids": bids, "key": services.opening_key(trade),
        "version": services.next_version(trade, org.id), "now": at,
        "open": trade.state is TradeState.BIDDING and trade.bid_deadline is not None and at < trade.bid_deadline,
        "current": next((b for b in bids if b.state is BidState.SUBMITTED), None),
        # the receipt's own time, to the millisecond, as the bidder will compare it
        "received": {b.id: json.loads(b.receipt).get("received_at") if b.receipt else None for b in bids},
    }


@bp.route("/trades/<int:trade_id>/bid")
@login_required
@requires("trade.bid", load=load_trade)
def bid_page(trade_id: int, obj: Trade):
    """The bidder seals in the page; only the envelope is uploaded (to submit_bid below)."""
    return render_template("bidding/bid.html", **_bid_context(obj))


@bp.route("/trades/<int:trade_id>/bids", methods=["POST"])
@login_required
@requires("trade.bid", load=load_trade)
def submit_bid(trade_id: int, obj: Trade):
    """The page's upload: the raw envelope as the body (session + X-CSRFToken), answered in JSON."""
    try:
        bid = services.submit_bid(current_user, obj, request.stream)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return jsonify(exc.to_dict()), exc.status
    body = BidSchema().dump(bid)
    body["trade"] = obj.ref
    body["receipt_url"] = url_for("bidding.bid_receipt", trade_id=obj.id, version=bid.version)
    body["next_version"] = bid.version + 1
    return jsonify(body), 201


@bp.route("/trades/<int:trade_id>/bids/withdraw", methods=["POST"])
@login_required
@requires("trade.bid", load=load_trade)
def withdraw_bid(trade_id: int, obj: Trade):
    try:
        bid = services.withdraw_bid(current_user, obj)
        db.session.commit()
        flash(_("Bid version %(v)d withdrawn. You may still submit a new bid before the deadline.",
                v=bid.version), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("bidding.bid_page", trade_id=obj.id))


@bp.route("/trades/<int:trade_id>/bids/<int:version>/receipt.json")
@login_required
@requires("trade.bid", load=load_trade)
def bid_receipt(trade_id: int, version: int, obj: Trade):
    """The signed receipt of one of the bidder's own bids, as the file they keep."""
    bid = next((b for b in services.own_bids(current_user, obj) if b.version == version), None)
    if bid is None or not bid.receipt:
        abort(404)
    name = f"receipt-{obj.ref}-v{bid.version}.json"
    return Response(bid.receipt + "\n", mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---- keyholders -----------------------------------------------------------------------------------

def _my_appointments() -> list[Keyholder]:
    return list(db.session.scalars(sa.select(Keyholder).where(Keyholder.user_id == current_user.id)
                                   .order_by(Keyholder.id.desc()).limit(50)))


@bp.route("/personal-key", methods=["GET", "POST"])
@login_required
@requires("keys.enrol")
def personal_key():
    """Enrol (or replace) the personal key that opening-key shares are sealed to."""
    errors: dict = {}
    if request.method == "POST":
        phrase, again = request.form.get("passphrase", ""), request.form.get("passphrase_confirm", "")
        if phrase != again:
            errors["passphrase_confirm"] = [_("the two passphrases differ: type the same passphrase twice")]
        else:
            try:
                services.enrol_personal_key(current_user, phrase)
                db.session.commit()
                flash(_("Your personal key is enrolled. Remember the passphrase: nobody can recover it."), "success")
                return redirect(url_for("bidding.personal_key"))
            except InvalidInput as exc:
                db.session.rollback()
                errors = exc.errors
    active = services.active_personal_key(current_user.id)
    appointments = [(k, db.session.get(Trade, k.trade_id)) for k in _my_appointments()]
    return render_template("bidding/personal_key.html", errors=errors, active=active,
                           appointments=appointments, minimum=keys.MIN_PASSPHRASE), 422 if errors else 200


def _candidates(centre_id: int, roles: tuple[Role, ...]) -> list[User]:
    """People holding one of `roles` at the centre: the only ones who may hold that half of the key."""
    return list(db.session.scalars(
        sa.select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.centre_id == centre_id, RoleGrant.role.in_(roles)).distinct().order_by(User.id)))


def _ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isdigit()]


@bp.route("/trades/<int:trade_id>/keyholders", methods=["GET", "POST"])
@login_required
@requires("trade.keyholders", load=load_trade)
def keyholders(trade_id: int, obj: Trade):
    """The decision branch appoints k-of-n executing and m-of-p supervising keyholders."""
    trade = obj
    errors: dict = {}
    problem: str | None = None
    status = 200
    chosen = {Side.EXECUTE: set(), Side.SUPERVISE: set()}
    if request.method == "POST":
        chosen = {Side.EXECUTE: set(_ids("execute")), Side.SUPERVISE: set(_ids("supervise"))}
        try:
            services.appoint_keyholders(current_user, trade, _ids("execute"), _ids("supervise"))
            db.session.commit()
            flash(_("Keyholders appointed for %(ref)s.", ref=trade.ref), "success")
            return redirect(url_for("bidding.keyholders", trade_id=trade.id))
        except InvalidInput as exc:
            db.session.rollback()
            errors, status = exc.errors, exc.status
        except DomainError as exc:  # the stage is over, or a person may not hold this duty
            db.session.rollback()
            problem, status = exc.message, exc.status
        trade = load_trade(trade_id)
    current = services.keyholder_view(trade)
    if request.method == "GET":
        for row in current:
            chosen[row.side].add(row.user_id)
    staff = _candidates(trade.centre_id, (Role.CENTRE_STAFF,))
    supervisors = _candidates(trade.centre_id, SUPERVISOR_ROLES)
    enrolled = {u.id for u in [*staff, *supervisors] if services.active_personal_key(u.id) is not None}
    return render_template(
        "bidding/keyholders.html", trade=trade, errors=errors, problem=problem, current=current, chosen=chosen,
        staff=staff, supervisors=supervisors, enrolled=enrolled, key=services.opening_key(trade),
        editable=trade.state in (TradeState.DRAFT, TradeState.SUBMITTED), Side=Side), status
