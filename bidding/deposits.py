"""Bid-security deposits: recording, refunding or retaining them; a staff page and an API.

A small record the executing staff keep so that e-supervision can watch the refund periods
(Reg 35, 57; O87 38; O39 21). Each change is signalled (`deposit_changed`); the supervision plane
listens. Amounts are exact (Decimal) and may not exceed the trade's stated bid security.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from blinker import Namespace
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from bidding.deposit_models import BidDeposit
from trading.accounts.models import Organisation, OrgKind
from trading.accounts.roles import Branch
from trading.api import bearer_only, json_body, no_store, trade_or_404
from trading.api.openapi import doc
from trading.clock import local_tz, now
from trading.errors import IllegalMove, InvalidInput
from trading.extensions import db
from trading.views_common import load_trade
from trading.permissions import permission, require, requires
from trading.schemas import LoadSchema, field
from trading.trades.models import Trade
from trading.trades.permissions import is_staff_at
from trading.types import to_money

_signals = Namespace()
#: sender=Trade; kwargs: deposit, actor, what ("recorded" | "refunded" | "retained")
deposit_changed = _signals.signal("deposit-changed")

MAX_NOTE = 2000


# ---- permissions --------------------------------------------------------------------------------------

@permission("deposits.manage")
def _manage(user, trade) -> bool:
    """Deposits are money the centre holds: its executing staff record and settle them."""
    return is_staff_at(user, trade.centre_id)


@permission("deposits.view")
def _view(user, trade) -> bool:
    """Staff, supervisors and deciders of the trade's centre."""
    return bool(getattr(user, "is_authenticated", False)) and any(
        g.centre_id == trade.centre_id and g.role.branch in (Branch.EXECUTE, Branch.SUPERVISE, Branch.DECIDE)
        for g in user.grants)


# ---- services -----------------------------------------------------------------------------------------

def deposits_of(trade: Trade) -> list[BidDeposit]:
    return list(db.session.scalars(sa.select(BidDeposit).where(BidDeposit.trade_id == trade.id)
                                   .order_by(BidDeposit.id)))


def record_deposit(actor, trade: Trade, organisation_id: int, amount, paid_at: datetime | None = None,
                   note: str | None = None) -> BidDeposit:
    """Record that a company paid its bid security (at most the trade's stated amount)."""
    require("deposits.manage", trade, user=actor)
    errors: dict[str, list[str]] = {}
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if org is None or org.kind is not OrgKind.BIDDER:
        errors["organisation_id"] = [_("choose a bidder company")]
    try:
        amount = to_money(amount)
    except (TypeError, ValueError):
        errors["amount"] = [_("must be an amount such as 1250000.00")]
        amount = None
    if amount is not None and amount <= 0:
        errors["amount"] = [_("must be more than zero")]
    elif amount is not None and trade.bid_security is not None and amount > trade.bid_security:
        errors["amount"] = [_("may not exceed the bid security the trade asks for (%(n)s)", n=trade.bid_security)]
    paid_at = paid_at or now()
    if paid_at > now():
        errors["paid_at"] = [_("may not be in the future")]
    if org is not None and db.session.scalar(sa.select(BidDeposit.id).where(
            BidDeposit.trade_id == trade.id, BidDeposit.organisation_id == org.id)):
        errors["organisation_id"] = [_("this company's deposit is already recorded")]
    if errors:
        raise InvalidInput(errors)
    deposit = BidDeposit(trade_id=trade.id, organisation_id=org.id, amount=amount, paid_at=paid_at,
                         recorded_by_id=actor.id, recorded_at=now(), note=(note or "").strip()[:MAX_NOTE] or None)
    db.session.add(deposit)
    db.session.flush()
    deposit_changed.send(trade, deposit=deposit, actor=actor, what="recorded")
    return deposit


def settle_deposit(actor, deposit: BidDeposit, how: str, note: str | None = None) -> BidDeposit:
    """Refund a deposit, or keep it by a recorded decision (a reason is then required)."""
    trade = deposit.trade
    require("deposits.manage", trade, user=actor)
    if deposit.settled_at is not None:
        raise IllegalMove(_("This deposit is already settled."), code="already_settled")
    note = (note or "").strip()[:MAX_NOTE] or None
    if how == "refund":
        deposit.refunded_at = now()
    elif how == "retain":
        if not note:
            raise InvalidInput({"note": [_("say why the deposit is kept (e.g. it becomes part of the price)")]})
        deposit.retained_at = now()
    else:
        raise InvalidInput({"how": [_("choose refund or retain")]})
    deposit.settled_by_id = actor.id
    if note:
        deposit.note = note
    db.session.flush()
    deposit_changed.send(trade, deposit=deposit, actor=actor, what="refunded" if how == "refund" else "retained")
    return deposit


def _deposit_or_404(trade: Trade, deposit_id: int) -> BidDeposit:
    deposit = db.session.get(BidDeposit, deposit_id)
    if deposit is None or deposit.trade_id != trade.id:
        abort(404)
    return deposit


# ---- schemas ------------------------------------------------------------------------------------------

class DepositCreateSchema(LoadSchema):
    organisation_id = field(fields.Integer, required=True)
    amount = field(fields.Decimal, required=True, as_string=True)
    paid_at = field(fields.AwareDateTime, load_default=None, allow_none=True)
    note = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_NOTE))


class DepositSettleSchema(LoadSchema):
    how = field(fields.String, required=True, validate=validate.OneOf(("refund", "retain")))
    note = field(fields.String, load_default=None, allow_none=True, validate=validate.Length(max=MAX_NOTE))


class DepositSchema(Schema):
    id = fields.Integer()
    trade_id = fields.Integer()
    organisation_id = fields.Integer()
    organisation = fields.Function(lambda d: d.organisation.name)
    amount = fields.Decimal(as_string=True)
    paid_at = fields.AwareDateTime()
    refunded_at = fields.AwareDateTime(allow_none=True)
    retained_at = fields.AwareDateTime(allow_none=True)
    note = fields.String(allow_none=True)


# ---- the staff page -----------------------------------------------------------------------------------

bp = Blueprint("deposits", __name__, url_prefix="/bidding")




def _bidders() -> list[Organisation]:
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrgKind.BIDDER)
                                   .order_by(Organisation.name)))


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
                record_deposit(current_user, trade, int(org) if org.isdigit() else 0,
                               request.form.get("amount", "").strip(), paid_at, request.form.get("note"))
                db.session.commit()
                flash(_("Deposit recorded."), "success")
                return redirect(url_for("deposits.deposits_page", trade_id=trade.id))
            except InvalidInput as exc:
                db.session.rollback()
                errors = exc.errors
    return render_template("bidding/deposits.html", trade=trade, deposits=deposits_of(trade), bidders=_bidders(),
                           errors=errors, values=values), (422 if errors else 200)


@bp.route("/trades/<int:trade_id>/deposits/<int:deposit_id>/settle", methods=["POST"])
@login_required
@requires("deposits.manage", load=load_trade)
def settle_page(trade_id: int, deposit_id: int, obj: Trade):
    deposit = _deposit_or_404(obj, deposit_id)
    settle_deposit(current_user, deposit, request.form.get("how", ""), request.form.get("note"))
    db.session.commit()
    flash(_("Deposit of %(org)s settled.", org=deposit.organisation.name), "success")
    return redirect(url_for("deposits.deposits_page", trade_id=obj.id))


# ---- the API ------------------------------------------------------------------------------------------

api_bp = Blueprint("deposits_api", __name__, url_prefix="/api/v1")
api_bp.before_request(bearer_only)
api_bp.after_request(no_store)


@api_bp.get("/trades/<int:trade_id>/deposits")
@doc("The trade's bid-security deposits (staff, supervisors, deciders of the centre)", None,
     DepositSchema(many=True))
def list_deposits(trade_id: int):
    trade = trade_or_404(trade_id)
    require("deposits.view", trade)
    return jsonify(DepositSchema(many=True).dump(deposits_of(trade)))


@api_bp.post("/trades/<int:trade_id>/deposits")
@doc("Record a company's bid-security deposit (executing staff)", DepositCreateSchema, DepositSchema(), 201)
def record_deposit_api(trade_id: int):
    trade = trade_or_404(trade_id)
    require("deposits.manage", trade)
    data = DepositCreateSchema().load(json_body())
    deposit = record_deposit(current_user, trade, data["organisation_id"], data["amount"], data["paid_at"],
                             data["note"])
    db.session.commit()
    return jsonify(DepositSchema().dump(deposit)), 201


@api_bp.post("/trades/<int:trade_id>/deposits/<int:deposit_id>/settle")
@doc("Refund a deposit, or keep it with a reason (executing staff)", DepositSettleSchema, DepositSchema())
def settle_deposit_api(trade_id: int, deposit_id: int):
    trade = trade_or_404(trade_id)
    require("deposits.manage", trade)
    deposit = _deposit_or_404(trade, deposit_id)
    data = DepositSettleSchema().load(json_body())
    settle_deposit(current_user, deposit, data["how"], data["note"])
    db.session.commit()
    return jsonify(DepositSchema().dump(deposit))

