"""The sealed reserve's page: the decision branch seals it in the browser; after the last bid the keyholders
release their shares (the ceremony's keyholder script) and a supervisor opens it."""
from __future__ import annotations

from decimal import Decimal

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _
from flask_login import current_user, login_required

from bidding.auctions.reserve import opening, services, signatures
from bidding.auctions.reserve.schemas import SealedReserveSchema
from bidding.blueprints import bp
from bidding.ceremony.permissions import keyholder_of
from bidding.keyholders.models import Side
from bidding.keyholders.schemas import SealedShareSchema
from bidding.keyholders.services import opening_key, refuse_passphrase
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.permissions import can, requires
from trading.trades.models import Trade
from trading.views_common import fmt_money, load_trade


def _when(at) -> str:
    return format_datetime(at, "yyyy-MM-dd HH:mm:ss") if at else "—"


def _back(trade: Trade, anchor: str = ""):
    return redirect(url_for("bidding.reserve_page", trade_id=trade.id) + (f"#{anchor}" if anchor else ""))


def _flash_error(exc: DomainError) -> None:
    if isinstance(exc, InvalidInput) and exc.errors:
        for name, messages in exc.errors.items():
            label = {"share": _("Share"), "envelope": _("Envelope"), "statement": _("Statement"),
                     "signature": _("Signature"), "dissent": _("Dissent")}.get(name, name)
            flash(_("%(field)s: %(message)s", field=label, message="; ".join(map(str, messages))), "error")
    else:
        flash(exc.message, "error")


@bp.route("/trades/<int:trade_id>/reserve")
@login_required
@requires("reserve.view", load=load_trade)
def reserve_page(trade_id: int, obj: Trade):
    """One page, the role decides the controls: the decider's sealing form (sealed in the browser), the
    keyholders' release form, the supervisors' opening button; the amount only once opened."""
    trade = obj
    state = services.reserve_view(current_user, trade)
    holder = keyholder_of(current_user, trade)
    key = opening_key(trade)
    holder_fp = next((s.holder_fingerprint for s in key.shares if s.keyholder_id == holder.id), None) \
        if key is not None and holder is not None else None
    released = holder is not None and any(r.keyholder_id == holder.id and r.held_share is not None
                                          for r in services.releases(trade))
    pending = state["pending"]
    opened = state["opened"] is not None
    return render_template(
        "bidding/auctions/reserve.html", trade=trade, state=state, when=_when, key=key, holder=holder,
        holder_fp=holder_fp, released=released, signed=opened and signatures.signed_by(trade, current_user),
        pending_message=services.PENDING_MESSAGES[pending](trade) if pending else None,
        money=lambda v: fmt_money(Decimal(v)),
        sides={Side.EXECUTE.value: _("Executing keyholders"), Side.SUPERVISE.value: _("Supervising keyholders")},
        may={"seal": can(current_user, "reserve.seal", trade) and state["sealing_open"],
             "release": holder is not None and state["opened"] is None and pending is None and not released,
             "open": can(current_user, "reserve.open", trade) and state["opened"] is None and pending is None,
             "sign": can(current_user, "reserve.sign", trade) and signatures.may_sign(current_user, trade)})


@bp.route("/trades/<int:trade_id>/reserve/seal", methods=["POST"])
@login_required
@requires("reserve.seal", load=load_trade)
def reserve_seal(trade_id: int, obj: Trade):
    """The page's upload: the raw envelope sealed in the browser (session + X-CSRFToken), answered in JSON."""
    try:
        row = services.seal_reserve(current_user, obj, request.stream.read(services.MAX_RESERVE_BYTES + 1),
                                    request.headers.get("Content-Digest"))
        body = SealedReserveSchema().dump(row)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return jsonify(exc.to_dict()), exc.status
    body["next_seq"] = body["seq"] + 1
    return jsonify(body), 201


@bp.route("/trades/<int:trade_id>/reserve/share")
@login_required
@requires("reserve.release", load=load_trade)
def reserve_share(trade_id: int, obj: Trade):
    """The keyholder's sealed share for the page's script to open in the browser (session twin of the API)."""
    try:
        material = opening.reserve_share_for(current_user, obj)
    except DomainError as exc:
        return jsonify(exc.to_dict()), exc.status
    response = jsonify(SealedShareSchema().dump(material))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/trades/<int:trade_id>/reserve/shares", methods=["POST"])
@login_required
@requires("reserve.release", load=load_trade)
def reserve_release(trade_id: int, obj: Trade):
    """The share the keyholder's browser opened (or pasted from the offline tool)."""
    try:
        refuse_passphrase(request.form)
        raw = (request.form.get("share") or "").strip()
        try:
            share = bytes.fromhex(raw)
        except ValueError:
            raise InvalidInput({"share": [_("must be hexadecimal bytes")]}) from None
        opening.release_reserve_share(current_user, obj, share)
        db.session.commit()
        flash(_("Your share is released; it is held until the reserve price is opened."), "success")
    except DomainError as exc:
        db.session.rollback()
        _flash_error(exc)
    return _back(obj, "release")


@bp.route("/trades/<int:trade_id>/reserve/open", methods=["POST"])
@login_required
@requires("reserve.open", load=load_trade)
def reserve_open(trade_id: int, obj: Trade):
    try:
        opened = opening.open_reserve(current_user, obj)
        amount = fmt_money(opened.amount)
        db.session.commit()
        flash(_("The reserve price is opened: %(amount)s yuan.", amount=amount), "success")
    except DomainError as exc:
        db.session.rollback()
        _flash_error(exc)
    return _back(obj, "opened")


@bp.route("/trades/<int:trade_id>/reserve/signatures", methods=["POST"])
@login_required
@requires("reserve.sign", load=load_trade)
def reserve_sign(trade_id: int, obj: Trade):
    """The page's "Sign the record": signer.js fetched the statement and signed it with the key in this browser."""
    try:
        signatures.sign_reserve_record(current_user, obj, request.form.get("dissent") or None,
                                       request.form.get("statement"), request.form.get("signature"))
        db.session.commit()
        flash(_("You have signed the record of the reserve price's opening."), "success")
    except DomainError as exc:
        db.session.rollback()
        _flash_error(exc)
    return _back(obj, "opened")
