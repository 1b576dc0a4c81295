"""Sealed-bid pages: the bid page (sealing in the browser), keyholder pages, the opening ceremony."""
from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _
from flask_login import current_user, login_required

from bidding import ceremony as ceremony_services
from bidding import keys, services
from bidding.ceremony_models import EntryStatus, Objection
from bidding.models import BidState, Keyholder, Side
from bidding.schemas import BidSchema
from trading.accounts.models import RoleGrant, User
from trading.accounts.roles import Role
from trading.clock import now
from trading.errors import DomainError, InvalidInput
from trading.extensions import db
from trading.views_common import load_trade
from trading.permissions import can, requires
from trading.trades.flows import TradeState
from trading.trades.models import Trade
from trading.views_common import fmt_money

bp = Blueprint("bidding", __name__, url_prefix="/bidding")

#: who may hold a share of an opening key: executing staff and supervisors, at any centre
SUPERVISOR_ROLES = (Role.ADMIN_SUPERVISOR, Role.SOCIAL_SUPERVISOR)




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
        bid = services.submit_bid(current_user, obj, request.stream, request.headers.get("Content-Digest"))
        body = BidSchema().dump(bid)  # before the commit expires the row: no reload to answer
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return jsonify(exc.to_dict()), exc.status
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


# ---- the opening ceremony -------------------------------------------------------------------------

def _ceremony_phase(state: dict) -> str:
    """waiting (not started), open (started, bids not yet opened), finished (the record exists)."""
    if state.get("finished_at"):
        return "finished"
    return "open" if state.get("started") else "waiting"


def _ceremony_labels() -> dict:
    """Every word the page script writes, translated here (the script has no catalogue)."""
    return {
        "states": {s.value: s.label for s in TradeState},
        "sides": {Side.EXECUTE.value: _("Executing keyholders"), Side.SUPERVISE.value: _("Supervising keyholders")},
        "statuses": {EntryStatus.OPENED.value: _("Opened"), EntryStatus.REVOKED.value: _("Revoked (bidder's cause)"),
                     EntryStatus.WITHDRAWN.value: _("Withdrawn (platform's cause)")},
        "outcomes": {"opened": _("Bids opened"), "failed": _("Failed (too few valid bids)")},
        "figures": {"duration_days": _("Duration (days)"), "note": _("Note")},
    }


def _ceremony_when(at) -> str:
    """To the second, as the page script writes it after each poll."""
    return format_datetime(at, "yyyy-MM-dd HH:mm:ss") if at else "—"


def _ceremony_money(price: str | None) -> str:
    return fmt_money(Decimal(price)) if price else "—"


def _ceremony_flash_error(exc: DomainError) -> None:
    errors = getattr(exc, "errors", None)
    if errors:
        labels = {"passphrase": _("Passphrase"), "text": _("Text"), "dissent": _("Dissent")}
        for name, messages in errors.items():
            flash(_("%(field)s: %(message)s", field=labels.get(name, name), message="; ".join(map(str, messages))),
                  "error")
    else:
        flash(exc.message, "error")


def _back(trade: Trade, anchor: str = ""):
    return redirect(url_for("bidding.ceremony_page", trade_id=trade.id) + (f"#{anchor}" if anchor else ""))


def _ceremony_action(trade: Trade, action, done: str, anchor: str = ""):
    """Run one ceremony service, commit, and say what happened (or why not) in a flash."""
    try:
        action()
        db.session.commit()
        flash(done, "success")
    except DomainError as exc:
        db.session.rollback()
        _ceremony_flash_error(exc)
    return _back(trade, anchor)


@bp.route("/trades/<int:trade_id>/ceremony")
@login_required
@requires("ceremony.view", load=load_trade)
def ceremony_page(trade_id: int, obj: Trade):
    """The opening ceremony (不见面开标) as it happens, for everyone allowed to watch; the page script
    polls ceremony_state every 2 s. Each person sees the forms of their own part in it."""
    trade = obj
    state = ceremony_services.ceremony_view(current_user, trade)
    holder = ceremony_services.keyholder_of(current_user, trade)
    cer = ceremony_services.ceremony_of(trade)
    signed = bool(cer and any(s.user_id == current_user.id for s in cer.signatures))
    return render_template(
        "bidding/ceremony.html", trade=trade, state=state, phase=_ceremony_phase(state), now=now(),
        key=services.opening_key(trade), holder=holder, signed=signed, labels=_ceremony_labels(),
        when=_ceremony_when, money=_ceremony_money,
        may={"run": can(current_user, "ceremony.run", trade), "release": holder is not None,
             "object": can(current_user, "ceremony.object", trade),
             "answer": can(current_user, "ceremony.answer", trade),
             "sign": can(current_user, "ceremony.sign", trade)})


@bp.route("/trades/<int:trade_id>/ceremony/state")
@login_required
@requires("ceremony.view", load=load_trade)
def ceremony_state(trade_id: int, obj: Trade):
    """The live state for the page script (session + same permission): the same body as the API's
    GET /api/v1/trades/<id>/ceremony, made by the same function."""
    from bidding.ceremony_api import _state

    response = _state(obj)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/trades/<int:trade_id>/ceremony/start", methods=["POST"])
@login_required
@requires("ceremony.run", load=load_trade)
def ceremony_start(trade_id: int, obj: Trade):
    return _ceremony_action(obj, lambda: ceremony_services.start_ceremony(current_user, obj),
                            _("The opening has started. The keyholders may now release their shares."))


@bp.route("/trades/<int:trade_id>/ceremony/shares", methods=["POST"])
@login_required
@requires("ceremony.release", load=load_trade)
def ceremony_release(trade_id: int, obj: Trade):
    passphrase = request.form.get("passphrase", "")
    if len(passphrase) > 1024:
        flash(_("%(field)s: %(message)s", field=_("Passphrase"),
                message=_("this passphrase does not unlock your personal key")), "error")
        return _back(obj, "release")
    return _ceremony_action(obj, lambda: ceremony_services.release_share(current_user, obj, passphrase),
                            _("Your share is released."), "release")


@bp.route("/trades/<int:trade_id>/ceremony/complete", methods=["POST"])
@login_required
@requires("ceremony.run", load=load_trade)
def ceremony_complete(trade_id: int, obj: Trade):
    return _ceremony_action(obj, lambda: ceremony_services.complete_ceremony(current_user, obj),
                            _("Every bid has been opened and the opening record written."), "results")


@bp.route("/trades/<int:trade_id>/ceremony/objections", methods=["POST"])
@login_required
@requires("ceremony.object", load=load_trade)
def ceremony_object(trade_id: int, obj: Trade):
    text = request.form.get("text", "")
    return _ceremony_action(obj, lambda: ceremony_services.lodge_objection(current_user, obj, text),
                            _("Your objection has been recorded. The centre's staff will answer it."), "objections")


@bp.route("/trades/<int:trade_id>/ceremony/objections/<int:objection_id>/answer", methods=["POST"])
@login_required
@requires("ceremony.answer", load=load_trade)
def ceremony_answer(trade_id: int, objection_id: int, obj: Trade):
    objection = db.session.get(Objection, objection_id)
    if objection is None or objection.ceremony.trade_id != obj.id:
        abort(404)
    text = request.form.get("text", "")
    return _ceremony_action(obj, lambda: ceremony_services.answer_objection(current_user, objection, text),
                            _("Your answer has been recorded."), "objections")


@bp.route("/trades/<int:trade_id>/ceremony/signatures", methods=["POST"])
@login_required
@requires("ceremony.sign", load=load_trade)
def ceremony_sign(trade_id: int, obj: Trade):
    dissent = request.form.get("dissent") or None
    return _ceremony_action(obj, lambda: ceremony_services.sign_record(current_user, obj, dissent),
                            _("You have signed the opening record."), "signatures")
